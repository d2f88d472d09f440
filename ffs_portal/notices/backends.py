"""Where a notice goes: a file under var/messages (the embedded default), Tencent Cloud SMS
(its API 3.0, signed TC3-HMAC-SHA256, action SendSms) or WeCom (gettoken, then
message/send). Each ``send`` raises ``DeliveryError`` when the provider refuses; the task
retries with back-off."""

import hashlib
import hmac
import json
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from ffs_portal.notices.models import Notice

TIMEOUT_SECONDS = 10


class DeliveryError(Exception):
    """The provider did not take the message."""


class Backend(Protocol):
    def send(self, notice: Notice) -> None: ...


def _post_json(url: str, payload: dict, headers: dict | None = None) -> dict:
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    request = urllib.request.Request(  # noqa: S310 - the provider's configured https URL
        url,
        data=data,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
    )
    return _answer(request)


def _answer(request: urllib.request.Request) -> dict:
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
        return json.loads(response.read().decode())


class FileBackend:
    """One text file per message under NOTICE_FILE_PATH, named by time and notice."""

    def send(self, notice: Notice) -> None:
        folder = Path(settings.NOTICE_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        path = folder / f"{stamp}-{notice.key}.txt"
        path.write_text(f"To: {notice.mobile}\nKind: {notice.kind}\n\n{notice.body}\n")


# Tencent Cloud SMS ------------------------------------------------------------------------

SMS_SERVICE = "sms"
SMS_VERSION = "2021-01-11"
SMS_ACTION = "SendSms"
TC3 = "TC3-HMAC-SHA256"


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def tc3_authorization(
    *, secret_id: str, secret_key: str, host: str, action: str, payload: bytes, timestamp: int
) -> str:
    """The Authorization header of a Tencent Cloud API 3.0 POST (TC3-HMAC-SHA256)."""
    day = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    signed_headers = "content-type;host;x-tc-action"
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:application/json; charset=utf-8\nhost:{host}\n"
            f"x-tc-action:{action.lower()}\n",
            signed_headers,
            hashlib.sha256(payload).hexdigest(),
        ]
    )
    scope = f"{day}/{SMS_SERVICE}/tc3_request"
    to_sign = "\n".join(
        [TC3, str(timestamp), scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), day), SMS_SERVICE), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"{TC3} Credential={secret_id}/{scope}, SignedHeaders={signed_headers}, Signature={signature}"


class TencentSmsBackend:
    """Tencent Cloud SMS: the approved template of the notice's kind, its parameters in the
    template's order."""

    def send(self, notice: Notice) -> None:
        conf = settings.TENCENT_SMS
        template = conf["templates"].get(notice.kind)
        if not template:
            raise DeliveryError(f"no SMS template for {notice.kind}")
        payload = json.dumps(
            {
                "PhoneNumberSet": [f"+86{notice.mobile}"],
                "SmsSdkAppId": conf["sdk_app_id"],
                "SignName": conf["sign_name"],
                "TemplateId": template,
                "TemplateParamSet": [str(value) for value in notice.params],
                "SessionContext": str(notice.key),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        host = urlsplit(conf["endpoint"]).netloc
        timestamp = int(time.time())
        request = urllib.request.Request(  # noqa: S310 - the configured endpoint
            conf["endpoint"].rstrip("/") + "/",
            data=payload,
            method="POST",
            headers={
                "Authorization": tc3_authorization(
                    secret_id=conf["secret_id"],
                    secret_key=conf["secret_key"],
                    host=host,
                    action=SMS_ACTION,
                    payload=payload,
                    timestamp=timestamp,
                ),
                "Content-Type": "application/json; charset=utf-8",
                "Host": host,
                "X-TC-Action": SMS_ACTION,
                "X-TC-Timestamp": str(timestamp),
                "X-TC-Version": SMS_VERSION,
                "X-TC-Region": conf["region"],
            },
        )
        answer = _answer(request).get("Response", {})
        if "Error" in answer:
            raise DeliveryError(f"{answer['Error'].get('Code')}: {answer['Error'].get('Message')}")
        statuses = answer.get("SendStatusSet") or [{}]
        if statuses[0].get("Code") != "Ok":
            raise DeliveryError(f"{statuses[0].get('Code')}: {statuses[0].get('Message')}")


# WeCom ------------------------------------------------------------------------------------

WECOM_TOKEN_CACHE = "notices:wecom-token"  # noqa: S105 - a cache key, not a secret
# Codes WeCom answers when the access token is invalid or has expired: fetch a new one.
WECOM_TOKEN_ERRORS = {40014, 42001}


class WeComBackend:
    """WeCom: an access token (kept until shortly before it expires), the member found by
    their mobile, a text message from the portal's application."""

    def _url(self, path: str, **query) -> str:
        return f"{settings.WECOM['api'].rstrip('/')}/cgi-bin/{path}?{urlencode(query)}"

    def _token(self) -> str:
        token = cache.get(WECOM_TOKEN_CACHE)
        if token:
            return token
        conf = settings.WECOM
        request = urllib.request.Request(  # noqa: S310 - the configured API
            self._url("gettoken", corpid=conf["corp_id"], corpsecret=conf["secret"])
        )
        answer = self._checked(_answer(request))
        cache.set(WECOM_TOKEN_CACHE, answer["access_token"], answer.get("expires_in", 7200) - 300)
        return answer["access_token"]

    def _checked(self, answer: dict) -> dict:
        if answer.get("errcode", 0) != 0:
            if answer.get("errcode") in WECOM_TOKEN_ERRORS:
                cache.delete(WECOM_TOKEN_CACHE)
            raise DeliveryError(f"{answer.get('errcode')}: {answer.get('errmsg')}")
        return answer

    def send(self, notice: Notice) -> None:
        token = self._token()
        user = self._checked(
            _post_json(self._url("user/getuserid", access_token=token), {"mobile": notice.mobile})
        )
        self._checked(
            _post_json(
                self._url("message/send", access_token=token),
                {
                    "touser": user["userid"],
                    "msgtype": "text",
                    "agentid": int(settings.WECOM["agent_id"]),
                    "text": {"content": notice.body},
                    "safe": 0,
                },
            )
        )


BACKENDS: dict[str, type[Backend]] = {
    "file": FileBackend,
    "sms": TencentSmsBackend,
    "wecom": WeComBackend,
}


def backend_for(channel: str) -> Backend:
    return BACKENDS[channel]()
