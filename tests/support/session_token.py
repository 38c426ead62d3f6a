"""Get temporary (session) credentials from a local emulator's STS GetSessionToken.

Usage: python session_token.py ENDPOINT ACCESS_KEY SECRET_KEY

Prints {"AccessKeyId": ..., "SecretAccessKey": ..., "SessionToken": ...} on stdout. Used
by tests that must prove a session token never leaks (tests/secrets.rs). ENDPOINT must be
a loopback emulator URL; the script refuses anything else.
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
    if len(sys.argv) != 4:
        sys.exit("usage: session_token.py ENDPOINT ACCESS_KEY SECRET_KEY")
    endpoint, key, secret = sys.argv[1:]
    if urllib.parse.urlsplit(endpoint).hostname not in ("127.0.0.1", "::1", "localhost"):
        sys.exit(f"session_token.py: refusing non-loopback endpoint {endpoint!r}")
    sts = boto3.client(
        "sts",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )
    creds = sts.get_session_token(DurationSeconds=3600)["Credentials"]
    print(json.dumps({"AccessKeyId": creds["AccessKeyId"],
                      "SecretAccessKey": creds["SecretAccessKey"],
                      "SessionToken": creds["SessionToken"]}))


if __name__ == "__main__":
    main()
