from enum import StrEnum


class AuditModelEnum(StrEnum):
    ACCOUNTS_APITOKEN = "accounts.apitoken"
    ACCOUNTS_SIGNINLOCKOUT = "accounts.signinlockout"
    AUTH_USER = "auth.user"
    JOBS_JOB = "jobs.job"
    JOBS_SCHEDULE = "jobs.schedule"

    def __str__(self) -> str:
        return str(self.value)
