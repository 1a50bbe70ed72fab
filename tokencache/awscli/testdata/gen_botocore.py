# Writes the fixtures in botocore/ with botocore's own writer, as
# `aws sso login` does: a botocore.utils.JSONFileCache over the cache
# directory, dumping with _sso_json_dumps (aws-cli v2
# awscli/customizations/sso/utils.py do_sso_login; the same function is
# botocore.tokens._sso_json_dumps), holding the dict that
# SSOTokenFetcher._create_token_attempt (aws-cli v2 awscli/botocore/utils.py)
# builds, with datetime values. utc-suffix.json uses JSONFileCache's default
# dumps, whose "%Y-%m-%dT%H:%M:%S%Z" writes "...UTC" (older tools, e.g.
# those built on aws-sso-util's copy of SSOTokenFetcher).
#
#   python3 tokencache/awscli/testdata/gen_botocore.py tokencache/awscli/testdata/botocore
#
# The values are made up. Cache keys: sha1("admin") and
# sha1("https://d-abc123.awsapps.com/start") (docs PROTOCOL.md vectors).
import datetime, hashlib, os, sys

import botocore
from botocore.tokens import _sso_json_dumps
from botocore.utils import JSONFileCache
from dateutil.tz import tzutc

out = sys.argv[1]
exp = datetime.datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=tzutc())
reg = datetime.datetime(2030, 3, 4, 5, 6, 7, tzinfo=tzutc())
key = lambda s: hashlib.sha1(s.encode("utf-8")).hexdigest()

cache = JSONFileCache(out, dumps_func=_sso_json_dumps)
# sso-session "admin", authorization code or device code with a refresh token
cache[key("admin")] = {
    "startUrl": "https://d-abc123.awsapps.com/start",
    "region": "eu-west-1",
    "accessToken": "fixture-access-token-admin",
    "expiresAt": exp,
    "clientId": "fixture-client-id",
    "clientSecret": "fixture-client-secret",
    "registrationExpiresAt": reg,
    "refreshToken": "fixture-refresh-token-admin",
}
# legacy profile (sso_start_url on the profile): no refresh token issued
cache[key("https://d-abc123.awsapps.com/start")] = {
    "startUrl": "https://d-abc123.awsapps.com/start",
    "region": "us-east-1",
    "accessToken": "fixture-access-token-legacy",
    "expiresAt": exp,
    "clientId": "fixture-client-id-legacy",
    "clientSecret": "fixture-client-secret-legacy",
    "registrationExpiresAt": reg,
}
JSONFileCache(out)["utc-suffix"] = {
    "startUrl": "https://d-abc123.awsapps.com/start",
    "region": "eu-west-1",
    "accessToken": "fixture-access-token-utc",
    "expiresAt": exp,
    "receivedAt": exp - datetime.timedelta(hours=8),
    "clientId": "fixture-client-id",
    "clientSecret": "fixture-client-secret",
    "registrationExpiresAt": reg,
    "refreshToken": "fixture-refresh-token-utc",
}
print("botocore", botocore.__version__)
