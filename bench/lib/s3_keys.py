#!/usr/bin/env python3
"""What a benchmark run left in moto_server, read with boto3 (not crossunload's S3 code).

Usage (endpoint from CU_MOTO_ENDPOINT, credentials and region from the AWS_* environment
the benchmark runs with, so the same moto account):

  s3_keys.py summary BUCKET PREFIX   one JSON line: objects under PREFIX (ListObjectsV2,
                                     every page), their total bytes, the number of distinct
                                     partitions (key up to its first `col=value/`
                                     folder), and multipart uploads still
                                     open under PREFIX
  s3_keys.py clear BUCKET PREFIX     deletes every object under PREFIX (DeleteObjects, 1,000
                                     keys a call) and aborts open uploads: moto keeps
                                     everything in memory, so a run's objects must go before
                                     the next case
"""
import json
import os
import sys

import boto3


def client():
    endpoint = os.environ.get("CU_MOTO_ENDPOINT")
    if not endpoint:
        sys.exit("s3_keys.py: CU_MOTO_ENDPOINT is not set")
    return boto3.client("s3", endpoint_url=endpoint,
                        region_name=os.environ.get("AWS_REGION", "us-east-1"))


def objects(c, bucket, prefix):
    for page in c.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        yield from page.get("Contents", [])


def uploads(c, bucket, prefix):
    out = []
    for page in c.get_paginator("list_multipart_uploads").paginate(Bucket=bucket, Prefix=prefix):
        out.extend(page.get("Uploads", []))
    return out


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("summary", "clear"):
        sys.exit(__doc__)
    cmd, bucket, prefix = sys.argv[1:]
    c = client()
    if cmd == "summary":
        n = size = 0
        parts = set()
        for o in objects(c, bucket, prefix):
            n += 1
            size += o["Size"]
            folders = o["Key"][len(prefix):].split("/")[:-1]
            hive = [i for i, f in enumerate(folders) if "=" in f]
            if hive:
                parts.add("/".join(folders[:hive[0] + 1]))
        print(json.dumps({"objects": n, "bytes": size, "partitions": len(parts),
                          "open_uploads": len(uploads(c, bucket, prefix))}))
        return
    keys = [o["Key"] for o in objects(c, bucket, prefix)]
    for i in range(0, len(keys), 1000):
        r = c.delete_objects(Bucket=bucket,
                             Delete={"Objects": [{"Key": k} for k in keys[i:i + 1000]],
                                     "Quiet": True})
        if r.get("Errors"):
            sys.exit(f"s3_keys.py: could not delete {len(r['Errors'])} object(s): "
                     f"{r['Errors'][0]}")
    for u in uploads(c, bucket, prefix):
        c.abort_multipart_upload(Bucket=bucket, Key=u["Key"], UploadId=u["UploadId"])


if __name__ == "__main__":
    main()
