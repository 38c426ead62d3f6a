"""Print what an emulator answers to raw SigV4 requests: the facts in tests/EMULATORS.md.

Usage: python emulator_facts.py ENDPOINT ROOT_KEY ROOT_SECRET [LIMITED_KEY LIMITED_SECRET]

ENDPOINT is http://127.0.0.1:PORT of a running ministack (AUTH=true) or moto server
(after reset-auth). For every probe netcheck's plugins use (STS GetCallerIdentity,
KMS ListKeys, SSM DescribeParameters, S3 ListBuckets) and every credential case it
sends one request and prints status, interesting headers and the body prefix.
Only ever talks to the given loopback endpoint.
"""

import datetime
import hashlib
import http.client
import sys
import urllib.parse

import botocore.auth
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

PROBES = {
    "sts": dict(method="POST", path="/", service="sts",
                headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
                body=b"Action=GetCallerIdentity&Version=2011-06-15"),
    "sts-get": dict(method="GET", path="/?Action=GetCallerIdentity&Version=2011-06-15",
                    service="sts", headers={}, body=b""),
    "sts-get-sha": dict(method="GET", path="/?Action=GetCallerIdentity&Version=2011-06-15",
                        service="sts", headers={"X-Amz-Content-SHA256": EMPTY_SHA256}, body=b""),
    "kms": dict(method="POST", path="/", service="kms",
                headers={"Content-Type": "application/x-amz-json-1.1",
                         "X-Amz-Target": "TrentService.ListKeys"},
                body=b'{"Limit":1}'),
    "ssm": dict(method="POST", path="/", service="ssm",
                headers={"Content-Type": "application/x-amz-json-1.1",
                         "X-Amz-Target": "AmazonSSM.DescribeParameters"},
                body=b'{"MaxResults":1}'),
    "s3": dict(method="GET", path="/?max-buckets=1", service="s3",
               headers={"X-Amz-Content-SHA256": EMPTY_SHA256}, body=b""),
}

SHOWN_HEADERS = ("content-type", "x-amzn-requestid", "x-amz-request-id", "x-amzn-errortype",
                 "date", "server")


def signed(endpoint, probe, key, secret, *, skew=None, sign_host=None, sent_host=None,
           region="us-east-1", scope_service=None):
    """Build (headers, body) for one request, signed unless key is None."""
    url = endpoint.rstrip("/") + probe["path"]
    headers = dict(probe["headers"])
    if sign_host:
        headers["Host"] = sign_host
    req = AWSRequest(method=probe["method"], url=url, data=probe["body"], headers=headers)
    if key is not None:
        service = scope_service or probe["service"]
        # S3SigV4Auth also signs x-amz-content-sha256; SigV4Auth signs it only when
        # the request already carries it (as netcheck's host does when a plugin asks).
        auth_cls = S3SigV4Auth if probe["service"] == "s3" else SigV4Auth
        original = botocore.auth.get_current_datetime
        if skew:
            botocore.auth.get_current_datetime = lambda: original() + skew
        try:
            auth_cls(Credentials(key, secret), service, region).add_auth(req)
        finally:
            botocore.auth.get_current_datetime = original
    out = {k: v for k, v in req.headers.items()}
    if sent_host:
        out = {k: v for k, v in out.items() if k.lower() != "host"}
        out["Host"] = sent_host
    return out, probe["body"]


def send(endpoint, probe, headers, body):
    parts = urllib.parse.urlsplit(endpoint)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    skip_host = any(k.lower() == "host" for k in headers)
    conn.putrequest(probe["method"], probe["path"], skip_host=skip_host,
                    skip_accept_encoding=True)
    for k, v in headers.items():
        conn.putheader(k, v)
    if body or probe["method"] == "POST":
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    hdrs = {k.lower(): v for k, v in resp.getheaders()}
    return resp.status, hdrs, data


def main():
    endpoint, root_key, root_secret = sys.argv[1:4]
    limited = sys.argv[4:6] if len(sys.argv) >= 6 else None
    port = urllib.parse.urlsplit(endpoint).port
    cases = [
        ("correct", dict(key=root_key, secret=root_secret)),
        ("wrong-secret", dict(key=root_key, secret=root_secret + "x")),
        ("unknown-key", dict(key="AKIANOSUCHKEY0000000", secret=root_secret)),
        ("skew+20m", dict(key=root_key, secret=root_secret, skew=datetime.timedelta(minutes=20))),
        ("skew-20m", dict(key=root_key, secret=root_secret, skew=datetime.timedelta(minutes=-20))),
        ("unsigned", dict(key=None, secret=None)),
        ("host-signed-without-port", dict(key=root_key, secret=root_secret,
                                          sign_host="127.0.0.1", sent_host=f"127.0.0.1:{port}")),
        ("host-without-port-both", dict(key=root_key, secret=root_secret,
                                        sign_host="127.0.0.1", sent_host="127.0.0.1")),
        ("wrong-scope-service", dict(key=root_key, secret=root_secret, scope_service="ec2")),
        ("wrong-region", dict(key=root_key, secret=root_secret, region="eu-west-1")),
        ("garbage-authorization", dict(key=None, secret=None, garbage=True)),
    ]
    if limited:
        cases.append(("limited-user", dict(key=limited[0], secret=limited[1])))
    only = set(sys.argv[6:]) if len(sys.argv) > 6 else None
    for name, probe in PROBES.items():
        if only and name not in only:
            continue
        print(f"=== {name} {probe['method']} {probe['path']} "
              f"{probe['headers'].get('X-Amz-Target', '')}")
        for case, kw in cases:
            kw = dict(kw)
            garbage = kw.pop("garbage", False)
            headers, body = signed(endpoint, probe, kw.pop("key"), kw.pop("secret"), **kw)
            if garbage:
                headers["Authorization"] = "AWS4-HMAC-SHA256 garbage"
            status, hdrs, data = send(endpoint, probe, headers, body)
            shown = {k: v for k, v in hdrs.items() if k in SHOWN_HEADERS and k != "date"}
            print(f"--- {case}: {status} {shown}")
            print("    " + data[:400].decode("utf-8", "replace").replace("\n", " "))


if __name__ == "__main__":
    main()
