"""The real channels against local fakes that check the requests as Tencent Cloud SMS (its
official SDK's requests: API 3.0, TC3-HMAC-SHA256, SendSms 2021-01-11) and WeCom (gettoken, user/getuserid,
message/send) document them."""

import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest

from attendance import services
from ffs_portal.notices import backends
from ffs_portal.notices import services as notices
from ffs_portal.notices.models import Notice, NoticeKind, NoticeStatus
from tests.ffs_portal.notices.fake_providers import FakeProvider

pytestmark = pytest.mark.django_db

SECRET_ID = "AKIDtestid0000000000000000000000"
SECRET_KEY = "testsecretkey0000000000000000000"
TEMPLATES = {"collected": "1110001", "pickup_refused": "1110002", "incident": "1110003"}


def signed_headers(request: dict) -> list[str]:
    """The headers the client says it signed (at least content-type and host)."""
    authorization = request["headers"].get("authorization", "")
    listed = authorization.partition("SignedHeaders=")[2].partition(",")[0]
    return listed.split(";") if listed else []


def documented_tc3_signature(request: dict, names: list[str]) -> str:
    """The signature as Tencent Cloud's "Signature v3" page computes it, step by step, from
    what the server received: header names and values in lower case, in the signed order."""
    headers = request["headers"]
    timestamp = int(headers["x-tc-timestamp"])
    day = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical_headers = "".join(f"{name}:{headers[name].strip().lower()}\n" for name in names)
    canonical_request = "\n".join(
        [
            "POST",
            "/",
            "",
            canonical_headers,
            ";".join(names),
            hashlib.sha256(request["body"]).hexdigest(),
        ]
    )
    scope = f"{day}/sms/tc3_request"
    string_to_sign = (
        f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n"
        + hashlib.sha256(canonical_request.encode()).hexdigest()
    )

    def sign(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()

    secret_date = sign(("TC3" + SECRET_KEY).encode("utf-8"), day)
    secret_service = sign(secret_date, "sms")
    secret_signing = sign(secret_service, "tc3_request")
    return hmac.new(secret_signing, string_to_sign.encode(), hashlib.sha256).hexdigest()


def tencent_answer(request):
    headers = request["headers"]
    names = signed_headers(request)
    expected = (
        f"TC3-HMAC-SHA256 Credential={SECRET_ID}/"
        f"{datetime.fromtimestamp(int(headers['x-tc-timestamp']), UTC):%Y-%m-%d}/sms/tc3_request, "
        f"SignedHeaders={';'.join(names)}, "
        f"Signature={documented_tc3_signature(request, names)}"
    )
    if not {"content-type", "host"} <= set(names) or headers.get("authorization") != expected:
        return 200, {
            "Response": {
                "Error": {"Code": "AuthFailure.SignatureFailure", "Message": "bad signature"},
                "RequestId": "r1",
            }
        }
    assert headers["x-tc-action"] == "SendSms"
    assert headers["x-tc-version"] == "2021-01-11"
    assert headers["x-tc-region"] == "ap-guangzhou"
    body = json.loads(request["body"])
    number = body["PhoneNumberSet"][0]
    return 200, {
        "Response": {
            "SendStatusSet": [
                {
                    "SerialNo": "2028:1",
                    "PhoneNumber": number,
                    "Fee": 1,
                    "SessionContext": body.get("SessionContext", ""),
                    "Code": "Ok",
                    "Message": "send success",
                    "IsoCode": "CN",
                }
            ],
            "RequestId": "r2",
        }
    }


@pytest.fixture
def tencent(settings):
    with FakeProvider(tencent_answer) as fake:
        settings.NOTICE_BACKEND = "sms"
        settings.TENCENT_SMS = {
            "endpoint": fake.url,
            "region": "ap-guangzhou",
            "secret_id": SECRET_ID,
            "secret_key": SECRET_KEY,
            "sdk_app_id": "1400000001",
            "sign_name": "家庭友好空间",
            "templates": TEMPLATES,
        }
        yield fake


def test_sms_goes_through_tencent_with_the_template_and_its_parameters(
    tencent, checked_in, site_a, carer, grandma, parent
):
    services.check_out(site=site_a, child=checked_in, collector=grandma, by=carer)
    notice = Notice.objects.get()
    assert notice.channel == "sms"
    assert notices.deliver(notice.pk) is True
    (request,) = tencent.received
    body = json.loads(request["body"])
    assert body["PhoneNumberSet"] == [f"+86{parent.mobile}"]
    assert body["SmsSdkAppId"] == "1400000001"
    assert body["SignName"] == "家庭友好空间"
    assert body["TemplateId"] == TEMPLATES["collected"]
    child, time, person, link = body["TemplateParamSet"]
    assert child == "王小明" and "李秀英" in person and "/parents/" in link
    assert len(time) == 5
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.SENT


def test_a_wrong_signature_is_refused_and_the_notice_fails(
    tencent, settings, checked_in, site_a, carer, grandma
):
    settings.TENCENT_SMS = {**settings.TENCENT_SMS, "secret_key": "not-the-key"}
    services.check_out(site=site_a, child=checked_in, collector=grandma, by=carer)
    notice = Notice.objects.get()
    with pytest.raises(backends.DeliveryError, match="SignatureFailure"):
        notices.deliver(notice.pk)
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.FAILED


def test_a_kind_without_an_approved_template_is_not_sent(
    tencent, settings, checked_in, site_a, carer, grandma
):
    settings.TENCENT_SMS = {**settings.TENCENT_SMS, "templates": {}}
    services.check_out(site=site_a, child=checked_in, collector=grandma, by=carer)
    with pytest.raises(backends.DeliveryError):
        notices.deliver(Notice.objects.get().pk)
    assert tencent.received == []


# WeCom ------------------------------------------------------------------------------------


class WeCom:
    """What WeCom answers: a token for the right corp id and secret, the member of a
    mobile, and message/send with that token."""

    TOKEN = "ACCESS_TOKEN_1"

    def __init__(self):
        self.tokens_given = 0
        self.expire_next = False

    def __call__(self, request):
        path, query = request["path"], request["query"]
        if path == "/cgi-bin/gettoken":
            assert request["method"] == "GET"
            if query != {"corpid": "ww0000000001", "corpsecret": "app-secret"}:
                return 200, {"errcode": 40001, "errmsg": "invalid credential"}
            self.tokens_given += 1
            return 200, {
                "errcode": 0,
                "errmsg": "ok",
                "access_token": self.TOKEN,
                "expires_in": 7200,
            }
        if query.get("access_token") != self.TOKEN or self.expire_next:
            self.expire_next = False
            return 200, {"errcode": 42001, "errmsg": "access_token expired"}
        body = json.loads(request["body"])
        if path == "/cgi-bin/user/getuserid":
            return 200, {"errcode": 0, "errmsg": "ok", "userid": f"u{body['mobile']}"}
        if path == "/cgi-bin/message/send":
            assert body["msgtype"] == "text" and body["agentid"] == 1000002
            assert body["touser"].startswith("u1") and body["text"]["content"]
            return 200, {"errcode": 0, "errmsg": "ok", "invaliduser": ""}
        return 404, {"errcode": 404}


@pytest.fixture
def wecom(settings):
    answer = WeCom()
    with FakeProvider(answer) as fake:
        settings.NOTICE_BACKEND = "wecom"
        settings.WECOM = {
            "api": fake.url,
            "corp_id": "ww0000000001",
            "secret": "app-secret",
            "agent_id": "1000002",
        }
        fake.answer = answer
        yield fake


def test_wecom_gets_a_token_finds_the_parent_and_sends_the_text(
    wecom, checked_in, site_a, carer, grandma, parent
):
    services.check_out(site=site_a, child=checked_in, collector=grandma, by=carer)
    assert notices.deliver(Notice.objects.get().pk) is True
    paths = [r["path"] for r in wecom.received]
    assert paths == ["/cgi-bin/gettoken", "/cgi-bin/user/getuserid", "/cgi-bin/message/send"]
    assert json.loads(wecom.received[1]["body"]) == {"mobile": parent.mobile}
    sent = json.loads(wecom.received[2]["body"])
    assert sent["touser"] == f"u{parent.mobile}"
    assert "王小明" in sent["text"]["content"] and "/parents/" in sent["text"]["content"]


def test_wecom_keeps_its_token_and_fetches_a_new_one_when_it_expired(
    wecom, checked_in, site_a, carer, grandma
):
    from attendance.models import RefusalReason

    services.check_out(site=site_a, child=checked_in, collector=grandma, by=carer)
    services_notice = Notice.objects.get()
    notices.deliver(services_notice.pk)
    services.refuse_pickup(
        site=site_a, child=checked_in, by=carer, reason=RefusalReason.NOT_LISTED, name="张三"
    )
    refused = Notice.objects.get(kind=NoticeKind.PICKUP_REFUSED)
    wecom.answer.expire_next = True
    with pytest.raises(backends.DeliveryError, match="42001"):
        notices.deliver(refused.pk)
    assert notices.deliver(refused.pk) is True  # the retry fetches a new token
    assert wecom.answer.tokens_given == 2
