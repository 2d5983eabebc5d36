-- Functions Amazon Redshift has and PostgreSQL lacks, created in the local stack's database
-- next to TICKIT. The local gateway stands for a Redshift cluster but runs the selects a
-- cluster would run on PostgreSQL as they are, so the SQL crossunload writes for Redshift
-- (the mask rules' sha2) runs there for real instead of failing on a missing function.
--
--   psql -f scripts/sql/redshift_functions.sql
--   select sha2('abc', 256);  -- ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad

-- SHA2(string, bits): the hex digest of the string's UTF-8 bytes; bits 0 (= 256), 224, 256,
-- 384 or 512; NULL for NULL input.
create or replace function sha2(input text, bits integer) returns varchar
language sql immutable strict parallel safe as $$
  select encode(case bits
                  when 0 then sha256(convert_to(input, 'UTF8'))
                  when 224 then sha224(convert_to(input, 'UTF8'))
                  when 256 then sha256(convert_to(input, 'UTF8'))
                  when 384 then sha384(convert_to(input, 'UTF8'))
                  when 512 then sha512(convert_to(input, 'UTF8'))
                end, 'hex')
$$;
