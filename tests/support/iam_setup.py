"""Create an IAM user with one inline policy and an access key on a local emulator.

Usage: python iam_setup.py ENDPOINT ACCESS_KEY SECRET_KEY USER_NAME POLICY_JSON

Prints {"AccessKeyId": ..., "SecretAccessKey": ...} on stdout. Used by the Rust test
support (tests/support/mod.rs) to make users such as "may call sts:GetCallerIdentity
but not kms:ListKeys". ENDPOINT must be a loopback emulator URL; the script refuses
anything else so test setup can never reach a real AWS account.
"""

import json
import os
import sys
import urllib.parse

os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull

import boto3  # noqa: E402  (environment first, so boto3 never reads real config)
from botocore.config import Config  # noqa: E402


def main():
    if len(sys.argv) != 6:
        sys.exit("usage: iam_setup.py ENDPOINT ACCESS_KEY SECRET_KEY USER_NAME POLICY_JSON")
    endpoint, key, secret, user, policy = sys.argv[1:]
    host = urllib.parse.urlsplit(endpoint).hostname
    if host not in ("127.0.0.1", "::1", "localhost"):
        sys.exit(f"iam_setup.py: refusing non-loopback endpoint {endpoint!r}")
    json.loads(policy)  # fail early, with the JSON error, on a malformed policy
    iam = boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName=f"{user}-policy", PolicyDocument=policy)
    created = iam.create_access_key(UserName=user)["AccessKey"]
    print(json.dumps({"AccessKeyId": created["AccessKeyId"],
                      "SecretAccessKey": created["SecretAccessKey"]}))


if __name__ == "__main__":
    main()
