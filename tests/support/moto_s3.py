#!/usr/bin/env python3
"""What a test needs to see in moto_server, read with boto3 (not crossunload's own S3 code).

Usage (endpoint from CU_MOTO_ENDPOINT; --account picks the account with moto's
x-moto-account-id header, default the pattern's DEV 111111111111):

  moto_s3.py objects BUCKET PREFIX          one line per object under PREFIX:
                                            "s3://BUCKET/KEY<TAB>SIZE", sorted by key
                                            (ListObjectsV2, every page)
  moto_s3.py download BUCKET PREFIX DIR     every object under PREFIX into DIR/<key>
  moto_s3.py uploads BUCKET PREFIX          number of multipart uploads still open under
                                            PREFIX (ListMultipartUploads)
  moto_s3.py session-secrets MATCH          the secret access keys and session tokens of
                                            every role session moto handed out for a role
                                            whose ARN contains MATCH (from moto's
                                            /moto-api/data.json), one per line — for log
                                            scans; write it to a 0600 file, never to argv;
                                            fails when there is none

Works with IAM enforcement off (the set-up keys are not real users).
"""
import argparse
import json
import os
import sys
import urllib.request

from moto_client import moto_client  # tests/support/moto_client.py, beside this file


def s3_client(endpoint, account):
    return moto_client("s3", account, endpoint)


def list_objects(c, bucket, prefix):
    out = []
    for page in c.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        out.extend(page.get("Contents", []))
    return sorted(out, key=lambda o: o["Key"])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--account", default="111111111111")
    sub = p.add_subparsers(dest="cmd", required=True)
    for name, extra in (("objects", []), ("download", ["dir"]), ("uploads", [])):
        s = sub.add_parser(name)
        s.add_argument("bucket")
        s.add_argument("prefix")
        for a in extra:
            s.add_argument(a)
    sub.add_parser("session-secrets").add_argument("match")
    a = p.parse_args()
    endpoint = os.environ.get("CU_MOTO_ENDPOINT")
    if not endpoint:
        sys.exit("moto_s3.py: CU_MOTO_ENDPOINT is not set (run through scripts/test)")

    if a.cmd == "session-secrets":
        # data.json reads every attribute of every object moto keeps, and reading an S3
        # object's `status` moves moto's restore state machine to RESTORED, whose event
        # looks the object's bucket up; a multipart part has no bucket, so the lookup
        # raises and data.json answers 500 once any upload has had a part. A restore that
        # never progresses on its own leaves `status` alone (moto's state-manager API).
        hold = json.dumps({"model_name": "s3::keyrestore",
                           "transition": {"progression": "manual", "times": 2**31}}).encode()
        urllib.request.urlopen(urllib.request.Request(
            endpoint + "/moto-api/state-manager/set-transition", data=hold, method="POST"))
        with urllib.request.urlopen(endpoint + "/moto-api/data.json") as r:
            data = json.load(r)
        found = 0
        for role in data.get("sts", {}).get("AssumedRole", []):
            if a.match in role.get("role_arn", ""):
                for k in ("secret_access_key", "session_token"):
                    if role.get(k):
                        print(role[k])
                        found += 1
        if not found:  # a scan for nothing would pass whatever the logs hold
            sys.exit(f"moto_s3.py: moto handed out no role session for a role matching {a.match!r}")
        return

    c = s3_client(endpoint, a.account)
    if a.cmd == "objects":
        for o in list_objects(c, a.bucket, a.prefix):
            print(f"s3://{a.bucket}/{o['Key']}\t{o['Size']}")
    elif a.cmd == "download":
        for o in list_objects(c, a.bucket, a.prefix):
            path = os.path.join(a.dir, o["Key"])
            os.makedirs(os.path.dirname(path), exist_ok=True)
            c.download_file(a.bucket, o["Key"], path)
    else:
        n = 0
        for page in c.get_paginator("list_multipart_uploads").paginate(Bucket=a.bucket,
                                                                       Prefix=a.prefix):
            n += len(page.get("Uploads", []))
        print(n)


if __name__ == "__main__":
    main()
