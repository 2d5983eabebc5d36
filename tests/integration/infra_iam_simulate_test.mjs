// Least privilege of the policies `crossunload infra` generates, proven with an IAM policy
// evaluator (@cloud-copilot/iam-simulate, test-only) where moto cannot: moto enforces
// neither trust policies nor conditions such as sts:ExternalId, and it denies Secrets
// Manager and KMS statements that name an ARN (docs/development.md#moto).
//
// For every trust and identity policy generated from deploy/job.example.toml, and from its
// client-mode variant (write_role_arn, a customer key on the secret): the intended principal
// is allowed (with the right external id), and the wrong principal, a missing or wrong
// external id, another secret, another bucket or prefix, another key, another service are
// denied.
// The same for the Data API's variants (deploy/job.data-api.example.toml): the PROD role's
// statements on the one cluster or workgroup, its own statements only, the one secret,
// database user or workgroup login; the state machine's role and its trust.
// Every generated policy file must be the deciding document of at least one allowed case.
import { runSimulation } from '@cloud-copilot/iam-simulate'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'

const exe = process.env.CROSSUNLOAD
const src = process.env.CU_SOURCE_DIR
if (!exe || !src) {
  console.error('FAIL: CROSSUNLOAD and CU_SOURCE_DIR must be set; run this test through ctest (scripts/test)')
  process.exit(1)
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cu-iam-sim-'))
after(() => fs.rmSync(tmp, { recursive: true, force: true }))
const out = path.join(tmp, 'example')
execFileSync(exe, ['infra', '--config', path.join(src, 'deploy/job.example.toml'), '--out', out])
// The same job in client mode (the job writes as write_role_arn), with a customer key on
// the secret: the policies that only this variant generates.
const SECRET_KEY = 'arn:aws:kms:eu-central-1:222222222222:key/5a2b1c0d-3c1b-4f6e-9d7a-0f6f8a1e9e8f'
const clientJob = path.join(tmp, 'client.toml')
fs.writeFileSync(clientJob, fs.readFileSync(path.join(src, 'deploy/job.example.toml'), 'utf8')
  .replace(/^format = .*$/m, 'mode = "client"\nwrite_role_arn = "arn:aws:iam::111111111111:role/S3-Write-Role"')
  .replace(/^\[infra\]$/m, `[infra]\nsecret_kms_key_arn = "${SECRET_KEY}"`))
const outClient = path.join(tmp, 'client')
execFileSync(exe, ['infra', '--config', clientJob, '--out', outClient])
// And with clean_path: the only variant whose write role may delete.
const cleanJob = path.join(tmp, 'client-clean.toml')
fs.writeFileSync(cleanJob, fs.readFileSync(clientJob, 'utf8').replace(/^mode = "client"$/m, 'mode = "client"\nclean_path = true'))
const outClean = path.join(tmp, 'client-clean')
execFileSync(exe, ['infra', '--config', cleanJob, '--out', outClean])

// With catalog registration: in server mode the Lambda role registers (it is the job's
// write identity), in client mode S3-Write-Role; with partition projection no partition.
const withCatalog = (file, name, extra = '') => {
  const job = path.join(tmp, `${name}.toml`)
  fs.writeFileSync(job, `catalog_database = "tickit_dev"\ncatalog_table = "sales"\n${extra}` + fs.readFileSync(file, 'utf8'))
  const dir = path.join(tmp, name)
  execFileSync(exe, ['infra', '--config', job, '--out', dir])
  return dir
}
const outCatalog = withCatalog(path.join(src, 'deploy/job.example.toml'), 'catalog')
const outClientCatalog = withCatalog(clientJob, 'client-catalog')
const outProjection = withCatalog(clientJob, 'client-projection', 'catalog_partitions = "projection"\n')

// Through the Data API (deploy/job.data-api.example.toml), and its variants with a database
// user instead of the secret, and on a Serverless workgroup as the role's own identity.
const dataApiExample = fs.readFileSync(path.join(src, 'deploy/job.data-api.example.toml'), 'utf8')
const dataApi = (name, edit) => {
  const job = path.join(tmp, `${name}.toml`)
  fs.writeFileSync(job, edit(dataApiExample))
  const dir = path.join(tmp, name)
  execFileSync(exe, ['infra', '--config', job, '--out', dir])
  return dir
}
const WORKGROUP_ID = '7d1f3e2a-9b8c-4d5e-8f6a-0b1c2d3e4f5a'
const outDataApi = dataApi('data-api', (t) => t)
const outDbUser = dataApi('data-api-dbuser', (t) => t.replace(/^secret_id = .*$/m, 'db_user = "unloader"'))
const outWorkgroup = dataApi('data-api-workgroup', (t) => t.replace(/^secret_id = .*$/m, '')
  .replace(/^cluster_id = .*$/m, 'workgroup = "prod-wg"')
  .replace(/^\[infra\]$/m, `[infra]\nworkgroup_id = "${WORKGROUP_ID}"`))

// Names from deploy/job.example.toml, written out here rather than read from the generator.
const DEV = '111111111111'
const PROD = '222222222222'
const OTHER = '333333333333'
const REGION = 'eu-central-1'
const EXT = 'crossunload-7f3a9c'
const BUCKET = 'dev-unload-bucket'
const PREFIX = 'tickit/sales_'
const KEY = `arn:aws:kms:${REGION}:${DEV}:key/0f6f8a1e-3c1b-4f6e-9d7a-5a2b1c0d9e8f`
const role = (acct, name) => `arn:aws:iam::${acct}:role/${name}`
const LAMBDA_ROLE = role(DEV, 'CrossAccount-SM-Read-Role')
const SM_ROLE = role(PROD, 'SM-Read-Role')
const RS_ROLE = role(PROD, 'CrossAccount-S3-Write-Role')
const WRITE_ROLE = role(DEV, 'S3-Write-Role')
const SECRET = `arn:aws:secretsmanager:${REGION}:${PROD}:secret:redshift_creds-AbC123`

const used = new Set()
// `rel` is relative to the output folder's parent: "example/policies/dev/…".
const load = (rel, dir = out) => {
  const policy = JSON.parse(fs.readFileSync(path.join(dir, 'policies', rel), 'utf8'))
  return { rel: path.join(path.basename(dir), rel), policy }
}
// All inline policies of a role, as identity policies.
const identity = (side, name, dir = out) =>
  fs.readdirSync(path.join(dir, 'policies', side))
    .filter((f) => f.startsWith(`${name}.`) && !f.endsWith('.trust.json'))
    .map((f) => load(`${side}/${f}`, dir))
const trust = (side, name, dir = out) => load(`${side}/${name}.trust.json`, dir)
// KMS needs the key policy to allow too; this is the default key policy, which delegates to
// the account's IAM policies.
const KEY_POLICY = { rel: null, policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${DEV}:root` }, Action: 'kms:*', Resource: '*' }] } }
const ADMIN = [{ rel: null, policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }]

// A role session's ARN and the aws:PrincipalArn AWS gives it (the role's ARN).
const session = (roleArn) => {
  const [, , , , acct, res] = roleArn.split(':')
  return { principal: `arn:aws:sts::${acct}:assumed-role/${res.split('/').pop()}/crossunload`, principalArn: roleArn, acct }
}

async function decide({ who, action, resource, resourceAccount, identityPolicies = [], resourcePolicy, context = {} }) {
  const request = {
    action,
    principal: typeof who === 'string' ? who : who.principal,
    resource: { resource, accountId: resourceAccount },
    contextVariables: { ...context },
  }
  if (typeof who !== 'string') request.contextVariables['aws:PrincipalArn'] = who.principalArn
  const r = await runSimulation(
    {
      identityPolicies: identityPolicies.map((p, i) => ({ name: p.rel ?? `admin${i}`, policy: p.policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: resourcePolicy?.policy,
      request,
    },
    {},
  )
  assert.notEqual(r.resultType, 'error', `simulation error: ${JSON.stringify(r.errors)}`)
  return r.overallResult
}

async function allowed(req) {
  assert.equal(await decide(req), 'Allowed', `expected Allowed: ${JSON.stringify(req.action)} on ${req.resource}`)
  for (const p of [...(req.identityPolicies ?? []), req.resourcePolicy]) if (p?.rel) used.add(p.rel)
}
async function denied(req) {
  const d = await decide(req)
  assert.notEqual(d, 'Allowed', `expected a denial: ${req.action} on ${req.resource} by ${JSON.stringify(req.who)}`)
}

test('SM-Read-Role: only the DEV Lambda role, only with the external id', async () => {
  const lambdaIdentity = identity('dev', 'CrossAccount-SM-Read-Role')
  const base = {
    action: 'sts:AssumeRole', resource: SM_ROLE, resourceAccount: PROD,
    resourcePolicy: trust('prod', 'SM-Read-Role'), identityPolicies: lambdaIdentity,
  }
  await allowed({ ...base, who: session(LAMBDA_ROLE), context: { 'sts:ExternalId': EXT } })
  await denied({ ...base, who: session(LAMBDA_ROLE) }) // missing external id
  await denied({ ...base, who: session(LAMBDA_ROLE), context: { 'sts:ExternalId': 'guess' } })
  // Another principal of DEV, even one allowed everything by its own account.
  await denied({ ...base, identityPolicies: ADMIN, who: session(role(DEV, 'Other')), context: { 'sts:ExternalId': EXT } })
  await denied({ ...base, identityPolicies: ADMIN, who: { principal: `arn:aws:iam::${DEV}:user/alice`, principalArn: `arn:aws:iam::${DEV}:user/alice` }, context: { 'sts:ExternalId': EXT } })
  // A role of the same name in a third account.
  await denied({ ...base, identityPolicies: ADMIN, who: session(role(OTHER, 'CrossAccount-SM-Read-Role')), context: { 'sts:ExternalId': EXT } })
  // The Lambda role may assume no other role.
  await denied({ ...base, resource: role(PROD, 'Admin'), resourcePolicy: { policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${DEV}:root` }, Action: 'sts:AssumeRole' }] } }, who: session(LAMBDA_ROLE), context: { 'sts:ExternalId': EXT } })
})

test('SM-Read-Role reads only the one secret', async () => {
  const ids = identity('prod', 'SM-Read-Role')
  const who = session(SM_ROLE)
  for (const action of ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'])
    await allowed({ who, action, resource: SECRET, resourceAccount: PROD, identityPolicies: ids })
  for (const other of ['other-AbC123', 'redshift_creds2-AbC123', 'redshift_creds-AbC1234'])
    await denied({ who, action: 'secretsmanager:GetSecretValue', resource: `arn:aws:secretsmanager:${REGION}:${PROD}:secret:${other}`, resourceAccount: PROD, identityPolicies: ids })
  for (const action of ['secretsmanager:PutSecretValue', 'secretsmanager:DeleteSecret'])
    await denied({ who, action, resource: SECRET, resourceAccount: PROD, identityPolicies: ids })
  await denied({ who, action: 'secretsmanager:ListSecrets', resource: '*', resourceAccount: PROD, identityPolicies: ids })
})

test('CrossAccount-S3-Write-Role: trusted by Redshift (this cluster) and chains only into S3-Write-Role', async () => {
  const t = trust('prod', 'CrossAccount-S3-Write-Role')
  const base = { action: 'sts:AssumeRole', resource: RS_ROLE, resourceAccount: PROD, resourcePolicy: t }
  const dbuser = (cluster) => `arn:aws:redshift:${REGION}:${PROD}:dbuser:${cluster}/unloader`
  await allowed({ ...base, who: 'redshift.amazonaws.com', context: { 'sts:ExternalId': dbuser('prod-cluster') } })
  await denied({ ...base, who: 'redshift.amazonaws.com', context: { 'sts:ExternalId': dbuser('other-cluster') } })
  await denied({ ...base, who: 'lambda.amazonaws.com', context: { 'sts:ExternalId': dbuser('prod-cluster') } })
  await denied({ ...base, who: session(SM_ROLE), identityPolicies: ADMIN })

  const ids = identity('prod', 'CrossAccount-S3-Write-Role')
  const wt = trust('dev', 'S3-Write-Role')
  await allowed({ who: session(RS_ROLE), action: 'sts:AssumeRole', resource: WRITE_ROLE, resourceAccount: DEV, identityPolicies: ids, resourcePolicy: wt })
  await denied({ who: session(RS_ROLE), action: 'sts:AssumeRole', resource: role(DEV, 'Admin'), resourceAccount: DEV, identityPolicies: ids, resourcePolicy: { policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${PROD}:root` }, Action: 'sts:AssumeRole' }] } } })
})

test('S3-Write-Role: only the PROD Redshift role may assume it', async () => {
  const base = { action: 'sts:AssumeRole', resource: WRITE_ROLE, resourceAccount: DEV, resourcePolicy: trust('dev', 'S3-Write-Role'), identityPolicies: ADMIN }
  await denied({ ...base, who: session(SM_ROLE) })
  await denied({ ...base, who: session(role(PROD, 'Other')) })
  await denied({ ...base, who: session(role(OTHER, 'CrossAccount-S3-Write-Role')) })
  await denied({ ...base, who: session(LAMBDA_ROLE) })
  await denied({ ...base, who: 'redshift.amazonaws.com' })
})

test('S3-Write-Role writes only under the bucket prefix, with the one key', async () => {
  const ids = identity('dev', 'S3-Write-Role')
  const who = session(WRITE_ROLE)
  const obj = (key, bucket = BUCKET) => ({ who, resource: `arn:aws:s3:::${bucket}/${key}`, resourceAccount: DEV, identityPolicies: ids })
  for (const action of ['s3:PutObject', 's3:AbortMultipartUpload', 's3:GetObject'])
    await allowed({ ...obj(`${PREFIX}0000_part_00.parquet`), action })
  await denied({ ...obj('tickit/users_0000_part_00'), action: 's3:PutObject' })
  await denied({ ...obj('other/x'), action: 's3:PutObject' })
  await denied({ ...obj(`${PREFIX}0000_part_00`, 'another-bucket'), action: 's3:PutObject' })
  await denied({ ...obj(`${PREFIX}0000_part_00`), action: 's3:DeleteObject' }) // clean_path is off
  const bucket = { who, action: 's3:ListBucket', resource: `arn:aws:s3:::${BUCKET}`, resourceAccount: DEV, identityPolicies: ids }
  await allowed({ ...bucket, context: { 's3:prefix': PREFIX } })
  await allowed({ ...bucket, context: { 's3:prefix': `${PREFIX}0000` } })
  await denied({ ...bucket, context: { 's3:prefix': 'tickit/' } })
  await denied({ ...bucket }) // listing the whole bucket
  await denied({ ...bucket, resource: 'arn:aws:s3:::another-bucket', context: { 's3:prefix': PREFIX } })
  await allowed({ who, action: 's3:GetBucketLocation', resource: `arn:aws:s3:::${BUCKET}`, resourceAccount: DEV, identityPolicies: ids })
  for (const action of ['kms:GenerateDataKey', 'kms:Encrypt', 'kms:Decrypt'])
    await allowed({ who, action, resource: KEY, resourceAccount: DEV, identityPolicies: ids, resourcePolicy: KEY_POLICY })
  await denied({ who, action: 'kms:GenerateDataKey', resource: `arn:aws:kms:${REGION}:${DEV}:key/11111111-2222-3333-4444-555555555555`, resourceAccount: DEV, identityPolicies: ids, resourcePolicy: KEY_POLICY })
  await denied({ who, action: 'kms:ScheduleKeyDeletion', resource: KEY, resourceAccount: DEV, identityPolicies: ids, resourcePolicy: KEY_POLICY })
})

test('The Lambda execution role: its own logs, verification listing, its VPC interfaces', async () => {
  const lt = trust('dev', 'CrossAccount-SM-Read-Role')
  await allowed({ who: 'lambda.amazonaws.com', action: 'sts:AssumeRole', resource: LAMBDA_ROLE, resourceAccount: DEV, resourcePolicy: lt })
  await denied({ who: 'ec2.amazonaws.com', action: 'sts:AssumeRole', resource: LAMBDA_ROLE, resourceAccount: DEV, resourcePolicy: lt })
  await denied({ who: session(role(DEV, 'Other')), action: 'sts:AssumeRole', resource: LAMBDA_ROLE, resourceAccount: DEV, resourcePolicy: lt, identityPolicies: ADMIN })

  const ids = identity('dev', 'CrossAccount-SM-Read-Role')
  const who = session(LAMBDA_ROLE)
  const req = (action, resource, context = {}) => ({ who, action, resource, resourceAccount: DEV, identityPolicies: ids, context })
  const stream = (group) => `arn:aws:logs:${REGION}:${DEV}:log-group:${group}:log-stream:2026/11/29/abc`
  await allowed(req('logs:PutLogEvents', stream('/aws/lambda/crossunload-unload')))
  await allowed(req('logs:CreateLogStream', stream('/aws/lambda/crossunload-unload')))
  await denied(req('logs:PutLogEvents', stream('/aws/lambda/another')))
  // Verification lists under the prefix and reads nothing.
  await allowed(req('s3:ListBucket', `arn:aws:s3:::${BUCKET}`, { 's3:prefix': PREFIX }))
  await denied(req('s3:ListBucket', `arn:aws:s3:::${BUCKET}`, { 's3:prefix': 'tickit/' }))
  await denied(req('s3:ListBucket', `arn:aws:s3:::another-bucket`, { 's3:prefix': PREFIX }))
  await denied(req('s3:GetObject', `arn:aws:s3:::${BUCKET}/${PREFIX}manifest`))
  await denied({ ...req('kms:Decrypt', KEY), resourcePolicy: KEY_POLICY })
  await denied(req('s3:PutObject', `arn:aws:s3:::${BUCKET}/${PREFIX}x`)) // Redshift writes, not the Lambda
  await denied({ ...req('kms:Encrypt', KEY), resourcePolicy: KEY_POLICY })
  await denied({ ...req('secretsmanager:GetSecretValue', SECRET), resourceAccount: PROD }) // only via SM-Read-Role
  const ec2 = `arn:aws:ec2:${REGION}:${DEV}:`
  await allowed(req('ec2:DescribeNetworkInterfaces', '*'))
  await allowed(req('ec2:CreateNetworkInterface', `${ec2}subnet/subnet-0a1b2c3d4e5f60718`))
  await allowed(req('ec2:CreateNetworkInterface', `${ec2}security-group/sg-0123456789abcdef0`))
  await denied(req('ec2:CreateNetworkInterface', `${ec2}subnet/subnet-0ffffffffffffffff`))
  await allowed(req('ec2:DeleteNetworkInterface', `${ec2}network-interface/eni-0123456789abcdef0`))
  await denied(req('ec2:DeleteNetworkInterface', `arn:aws:ec2:${REGION}:${OTHER}:network-interface/eni-0123456789abcdef0`))
  await denied(req('ec2:TerminateInstances', `${ec2}instance/i-0123456789abcdef0`))
})

test('client mode: the Lambda role, and only it besides the Redshift role, assumes S3-Write-Role', async () => {
  const wt = trust('dev', 'S3-Write-Role', outClient)
  const base = { action: 'sts:AssumeRole', resource: WRITE_ROLE, resourceAccount: DEV, resourcePolicy: wt }
  await allowed({ ...base, who: session(LAMBDA_ROLE), identityPolicies: identity('dev', 'CrossAccount-SM-Read-Role', outClient) })
  await allowed({ ...base, who: session(RS_ROLE), identityPolicies: identity('prod', 'CrossAccount-S3-Write-Role', outClient) })
  // The trust names DEV's root (narrowed by aws:PrincipalArn), so IAM also wants the
  // caller's own policy to allow the call: the server-mode Lambda policies do not.
  await denied({ ...base, who: session(LAMBDA_ROLE), identityPolicies: identity('dev', 'CrossAccount-SM-Read-Role') })
  await denied({ ...base, who: session(role(DEV, 'Other')), identityPolicies: ADMIN })
  await denied({ ...base, who: { principal: `arn:aws:iam::${DEV}:user/alice`, principalArn: `arn:aws:iam::${DEV}:user/alice` }, identityPolicies: ADMIN })
  await denied({ ...base, who: session(role(OTHER, 'CrossAccount-SM-Read-Role')), identityPolicies: ADMIN })
  await denied({ ...base, who: session(SM_ROLE), identityPolicies: ADMIN })
  await denied({ ...base, who: 'lambda.amazonaws.com' })
})

test('client mode: the Lambda role has no S3 or KMS access of its own; the write role deletes only with clean_path, only under the prefix', async () => {
  const ids = identity('dev', 'CrossAccount-SM-Read-Role', outClient)
  const who = session(LAMBDA_ROLE)
  for (const [action, resource] of [['s3:PutObject', `arn:aws:s3:::${BUCKET}/${PREFIX}x`],
    ['s3:GetObject', `arn:aws:s3:::${BUCKET}/${PREFIX}x`], ['s3:ListBucket', `arn:aws:s3:::${BUCKET}`]])
    await denied({ who, action, resource, resourceAccount: DEV, identityPolicies: ids, context: { 's3:prefix': PREFIX } })
  await denied({ who, action: 'kms:Decrypt', resource: KEY, resourceAccount: DEV, identityPolicies: ids, resourcePolicy: KEY_POLICY })
  await denied({ who, action: 'sts:AssumeRole', resource: RS_ROLE, resourceAccount: PROD, identityPolicies: ids, resourcePolicy: { policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${DEV}:root` }, Action: 'sts:AssumeRole' }] } } })

  // The commit protocol needs no delete: a failed run aborts its uploads.
  const w = session(WRITE_ROLE)
  const wids = identity('dev', 'S3-Write-Role', outClient)
  await denied({ who: w, action: 's3:DeleteObject', resource: `arn:aws:s3:::${BUCKET}/${PREFIX}0000_part_00`, resourceAccount: DEV, identityPolicies: wids })
  await allowed({ who: w, action: 's3:AbortMultipartUpload', resource: `arn:aws:s3:::${BUCKET}/${PREFIX}0000_part_00`, resourceAccount: DEV, identityPolicies: wids })
  const cids = identity('dev', 'S3-Write-Role', outClean)
  await allowed({ who: w, action: 's3:DeleteObject', resource: `arn:aws:s3:::${BUCKET}/${PREFIX}0000_part_00`, resourceAccount: DEV, identityPolicies: cids })
  await denied({ who: w, action: 's3:DeleteObject', resource: `arn:aws:s3:::${BUCKET}/tickit/users_0000_part_00`, resourceAccount: DEV, identityPolicies: cids })
  await denied({ who: w, action: 's3:DeleteObject', resource: `arn:aws:s3:::another-bucket/${PREFIX}0000_part_00`, resourceAccount: DEV, identityPolicies: cids })
})

test('SM-Read-Role decrypts the secret with its customer key only through Secrets Manager', async () => {
  const ids = identity('prod', 'SM-Read-Role', outClient)
  const who = session(SM_ROLE)
  const keyPolicy = { rel: null, policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${PROD}:root` }, Action: 'kms:*', Resource: '*' }] } }
  const req = (resource, context) => ({ who, action: 'kms:Decrypt', resource, resourceAccount: PROD, identityPolicies: ids, resourcePolicy: keyPolicy, context })
  await allowed(req(SECRET_KEY, { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` }))
  await denied(req(SECRET_KEY, {})) // called directly
  await denied(req(SECRET_KEY, { 'kms:ViaService': `s3.${REGION}.amazonaws.com` }))
  await denied(req(SECRET_KEY, { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' }))
  await denied(req(`arn:aws:kms:${REGION}:${PROD}:key/11111111-2222-3333-4444-555555555555`, { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` }))
  await allowed({ who, action: 'secretsmanager:GetSecretValue', resource: SECRET, resourceAccount: PROD, identityPolicies: ids })
  // The SM-Read-Role trust is the same in client mode: the external id is still required.
  const base = { action: 'sts:AssumeRole', resource: SM_ROLE, resourceAccount: PROD, resourcePolicy: trust('prod', 'SM-Read-Role', outClient), identityPolicies: identity('dev', 'CrossAccount-SM-Read-Role', outClient) }
  await allowed({ ...base, who: session(LAMBDA_ROLE), context: { 'sts:ExternalId': EXT } })
  await denied({ ...base, who: session(LAMBDA_ROLE) })
  await denied({ ...base, who: session(LAMBDA_ROLE), context: { 'sts:ExternalId': 'guess' } })
})

test('catalog: the registering role reads the one database, creates or updates the one table and its partitions', async () => {
  const glue = (res) => `arn:aws:glue:${REGION}:${DEV}:${res}`
  const TABLE = glue('table/tickit_dev/sales')
  const DB = glue('database/tickit_dev')
  const cases = [[session(LAMBDA_ROLE), identity('dev', 'CrossAccount-SM-Read-Role', outCatalog)],
    [session(WRITE_ROLE), identity('dev', 'S3-Write-Role', outClientCatalog)]]
  for (const [who, ids] of cases) {
    const req = (action, resource) => ({ who, action, resource, resourceAccount: DEV, identityPolicies: ids })
    await allowed(req('glue:GetDatabase', DB))
    await allowed(req('glue:GetDatabase', glue('catalog')))
    for (const action of ['glue:GetTable', 'glue:CreateTable', 'glue:UpdateTable', 'glue:BatchCreatePartition', 'glue:BatchUpdatePartition']) {
      await allowed(req(action, TABLE))
      await allowed(req(action, DB))
      await allowed(req(action, glue('catalog')))
    }
    for (const action of ['glue:CreateTable', 'glue:UpdateTable', 'glue:BatchCreatePartition'])
      for (const other of [glue('table/tickit_dev/users'), glue('table/other_db/sales'), `arn:aws:glue:${REGION}:${OTHER}:table/tickit_dev/sales`])
        await denied(req(action, other))
    await denied(req('glue:GetDatabase', glue('database/other_db')))
    for (const action of ['glue:DeleteTable', 'glue:DeletePartition', 'glue:GetPartitions'])
      await denied(req(action, TABLE))
    await denied(req('glue:DeleteDatabase', DB))
  }
  // Client mode: the Lambda role itself has no Glue access; without catalog_* no role has.
  const lambdaClient = identity('dev', 'CrossAccount-SM-Read-Role', outClientCatalog)
  await denied({ who: session(LAMBDA_ROLE), action: 'glue:CreateTable', resource: TABLE, resourceAccount: DEV, identityPolicies: lambdaClient })
  await denied({ who: session(WRITE_ROLE), action: 'glue:CreateTable', resource: TABLE, resourceAccount: DEV, identityPolicies: identity('dev', 'S3-Write-Role', outClient) })
  await denied({ who: session(LAMBDA_ROLE), action: 'glue:CreateTable', resource: TABLE, resourceAccount: DEV, identityPolicies: identity('dev', 'CrossAccount-SM-Read-Role') })
  // Projection: the table, no partition.
  const proj = identity('dev', 'S3-Write-Role', outProjection)
  await allowed({ who: session(WRITE_ROLE), action: 'glue:UpdateTable', resource: TABLE, resourceAccount: DEV, identityPolicies: proj })
  await denied({ who: session(WRITE_ROLE), action: 'glue:BatchCreatePartition', resource: TABLE, resourceAccount: DEV, identityPolicies: proj })
})

test('data api: the PROD role runs statements on the one cluster and follows only its own', async () => {
  const ids = identity('prod', 'SM-Read-Role', outDataApi)
  // aws:userid of the role's session: the role's unique id and the session name.
  const who = session(SM_ROLE)
  const USERID = 'AROAEXAMPLEROLEID1234:crossunload'
  const req = (action, resource, context = {}) => ({ who, action, resource, resourceAccount: PROD, identityPolicies: ids, context: { 'aws:userid': USERID, ...context } })
  const CLUSTER = `arn:aws:redshift:${REGION}:${PROD}:cluster:prod-cluster`
  await allowed(req('redshift-data:ExecuteStatement', CLUSTER))
  await denied(req('redshift-data:ExecuteStatement', `arn:aws:redshift:${REGION}:${PROD}:cluster:other-cluster`))
  await denied(req('redshift-data:ExecuteStatement', `arn:aws:redshift:${REGION}:${OTHER}:cluster:prod-cluster`))
  await denied(req('redshift-data:ExecuteStatement', `arn:aws:redshift-serverless:${REGION}:${PROD}:workgroup/${WORKGROUP_ID}`))
  await denied(req('redshift-data:BatchExecuteStatement', CLUSTER))
  for (const action of ['redshift-data:DescribeStatement', 'redshift-data:GetStatementResult', 'redshift-data:CancelStatement']) {
    await allowed(req(action, '*', { 'redshift-data:statement-owner-iam-userid': USERID }))
    // Another session's (or another role's) statement.
    await denied(req(action, '*', { 'redshift-data:statement-owner-iam-userid': 'AROAEXAMPLEROLEID1234:someone-else' }))
    await denied(req(action, '*', { 'redshift-data:statement-owner-iam-userid': 'AIDAOTHERUSER5678' }))
  }
  await denied(req('redshift-data:ListStatements', '*', { 'redshift-data:statement-owner-iam-userid': USERID }))
  // The secret: GetSecretValue on the one secret only (the Data API reads it as the caller).
  await allowed(req('secretsmanager:GetSecretValue', SECRET))
  await denied(req('secretsmanager:GetSecretValue', `arn:aws:secretsmanager:${REGION}:${PROD}:secret:other-AbC123`))
  await denied(req('secretsmanager:DescribeSecret', SECRET))
  await denied(req('redshift:GetClusterCredentials', `arn:aws:redshift:${REGION}:${PROD}:dbuser:prod-cluster/unloader`))
  // The trust is the connection path's: the DEV Lambda role, with the external id only.
  const base = { action: 'sts:AssumeRole', resource: SM_ROLE, resourceAccount: PROD, resourcePolicy: trust('prod', 'SM-Read-Role', outDataApi), identityPolicies: identity('dev', 'CrossAccount-SM-Read-Role', outDataApi) }
  await allowed({ ...base, who: session(LAMBDA_ROLE), context: { 'sts:ExternalId': EXT } })
  await denied({ ...base, who: session(LAMBDA_ROLE) })
  await denied({ ...base, who: session(LAMBDA_ROLE), context: { 'sts:ExternalId': 'guess' } })
  await denied({ ...base, identityPolicies: ADMIN, who: session(role(DEV, 'Other')), context: { 'sts:ExternalId': EXT } })
})

test('data api: a database user or the workgroup, never another', async () => {
  const who = session(SM_ROLE)
  const u = identity('prod', 'SM-Read-Role', outDbUser)
  const rs = (res) => `arn:aws:redshift:${REGION}:${PROD}:${res}`
  const req = (ids, action, resource) => ({ who, action, resource, resourceAccount: PROD, identityPolicies: ids })
  await allowed(req(u, 'redshift:GetClusterCredentials', rs('dbuser:prod-cluster/unloader')))
  await allowed(req(u, 'redshift:GetClusterCredentials', rs('dbname:prod-cluster/dev')))
  await denied(req(u, 'redshift:GetClusterCredentials', rs('dbuser:prod-cluster/admin')))
  await denied(req(u, 'redshift:GetClusterCredentials', rs('dbuser:other-cluster/unloader')))
  await denied(req(u, 'secretsmanager:GetSecretValue', SECRET))
  await allowed(req(u, 'redshift-data:ExecuteStatement', rs('cluster:prod-cluster')))

  const w = identity('prod', 'SM-Read-Role', outWorkgroup)
  const wg = (id) => `arn:aws:redshift-serverless:${REGION}:${PROD}:workgroup/${id}`
  await allowed(req(w, 'redshift-data:ExecuteStatement', wg(WORKGROUP_ID)))
  await denied(req(w, 'redshift-data:ExecuteStatement', wg('00000000-1111-2222-3333-444444444444')))
  await denied(req(w, 'redshift-data:ExecuteStatement', rs('cluster:prod-cluster')))
  await allowed(req(w, 'redshift-serverless:GetCredentials', wg(WORKGROUP_ID)))
  await denied(req(w, 'redshift-serverless:GetCredentials', wg('00000000-1111-2222-3333-444444444444')))
})

test('data api: only Step Functions, for the one state machine, may use its role, which may only invoke the one function', async () => {
  const SM_NAME = 'crossunload-unload'
  const SF_ROLE = role(DEV, 'Unload-StateMachine-Role')
  const t = trust('dev', 'Unload-StateMachine-Role', outDataApi)
  const base = { action: 'sts:AssumeRole', resource: SF_ROLE, resourceAccount: DEV, resourcePolicy: t }
  const src = (name, acct = DEV) => ({ 'aws:SourceAccount': acct, 'aws:SourceArn': `arn:aws:states:${REGION}:${acct}:stateMachine:${name}` })
  await allowed({ ...base, who: 'states.amazonaws.com', context: src(SM_NAME) })
  await denied({ ...base, who: 'states.amazonaws.com', context: src('another-machine') })
  await denied({ ...base, who: 'states.amazonaws.com', context: src(SM_NAME, OTHER) })
  await denied({ ...base, who: 'states.amazonaws.com' })
  await denied({ ...base, who: 'lambda.amazonaws.com', context: src(SM_NAME) })
  await denied({ ...base, who: session(LAMBDA_ROLE), identityPolicies: ADMIN })

  const ids = identity('dev', 'Unload-StateMachine-Role', outDataApi)
  const fn = (name) => `arn:aws:lambda:${REGION}:${DEV}:function:${name}`
  const req = (action, resource) => ({ who: session(SF_ROLE), action, resource, resourceAccount: DEV, identityPolicies: ids })
  await allowed(req('lambda:InvokeFunction', fn('crossunload-unload')))
  await denied(req('lambda:InvokeFunction', fn('another-function')))
  await denied(req('lambda:UpdateFunctionCode', fn('crossunload-unload')))
  await denied(req('sts:AssumeRole', SM_ROLE))
})

test('every generated policy decided at least one allowed request', () => {
  const all = []
  const dataApiDirs = [outDataApi, outDbUser, outWorkgroup]
  for (const dir of [out, outClient, outCatalog, outClientCatalog, outProjection, ...dataApiDirs])
    for (const side of ['prod', 'dev'])
      for (const f of fs.readdirSync(path.join(dir, 'policies', side))) {
        const base = dataApiDirs.includes(dir) ? outDataApi
          : dir === outClient || dir === outClientCatalog || dir === outProjection ? outClient : out
        // A file identical to the one the example (or its client variant) generates is
        // covered by that one's tests.
        const same = (d) => d !== dir && fs.existsSync(path.join(d, 'policies', side, f)) &&
          fs.readFileSync(path.join(d, 'policies', side, f), 'utf8') === fs.readFileSync(path.join(dir, 'policies', side, f), 'utf8')
        const covered = same(base) || same(out)
        if (!covered) all.push(path.join(path.basename(dir), side, f))
      }
  assert.deepEqual(all.filter((f) => !used.has(f)), [], 'policy files no test allowed a request through')
})
