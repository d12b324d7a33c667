from enum import StrEnum


class TaskEnum(StrEnum):
    ACCOUNTS_CHECK_ENGAGEMENT = "accounts.check_engagement"
    ACCOUNTS_PURGE_UNACTIVATED = "accounts.purge_unactivated"
    DEMO_FAIL = "demo.fail"
    DEMO_NOOP = "demo.noop"
    DEMO_SLEEP = "demo.sleep"
    HTTP_REQUEST = "http.request"
    MAIL_SEND = "mail.send"
    WEB_PAGE_LENGTH = "web.page_length"

    def __str__(self) -> str:
        return str(self.value)
