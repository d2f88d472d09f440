"""Where a notice goes: a file under var/messages (the embedded default), Tencent Cloud SMS
(its official SDK: API 3.0, signed TC3-HMAC-SHA256, action SendSms) or WeCom (gettoken, then
message/send). Each ``send`` raises ``DeliveryError`` when the provider refuses; the task
retries with back-off."""

import json
import urllib.request
from pathlib import Path
from typing import Protocol
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models as sms_models
from tencentcloud.sms.v20210111 import sms_client

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


class TencentSmsBackend:
    """Tencent Cloud SMS through its official SDK (SendSms, API 2021-01-11, requests signed
    TC3-HMAC-SHA256): the approved template of the notice's kind, its parameters in the
    template's order."""

    def send(self, notice: Notice) -> None:
        conf = settings.TENCENT_SMS
        template = conf["templates"].get(notice.kind)
        if not template:
            raise DeliveryError(f"no SMS template for {notice.kind}")
        request = sms_models.SendSmsRequest()
        request.PhoneNumberSet = [f"+86{notice.mobile}"]
        request.SmsSdkAppId = conf["sdk_app_id"]
        request.SignName = conf["sign_name"]
        request.TemplateId = template
        request.TemplateParamSet = [str(value) for value in notice.params]
        request.SessionContext = str(notice.key)
        try:
            answer = self._client(conf).SendSms(request)
        except TencentCloudSDKException as error:
            raise DeliveryError(f"{error.get_code()}: {error.get_message()}") from error
        statuses = answer.SendStatusSet or []
        if not statuses or statuses[0].Code != "Ok":
            code, message = (statuses[0].Code, statuses[0].Message) if statuses else ("", "")
            raise DeliveryError(f"{code}: {message}")

    @staticmethod
    def _client(conf: dict) -> sms_client.SmsClient:
        endpoint = urlsplit(conf["endpoint"])
        http = HttpProfile(
            protocol=endpoint.scheme, endpoint=endpoint.netloc, reqTimeout=TIMEOUT_SECONDS
        )
        return sms_client.SmsClient(
            credential.Credential(conf["secret_id"], conf["secret_key"]),
            conf["region"],
            ClientProfile(signMethod="TC3-HMAC-SHA256", httpProfile=http),
        )


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
