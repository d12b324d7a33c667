"""App config for accounts: the user model's history, and the audited account models."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model

        from accounts.history import register_user_history
        from accounts.models import ApiToken, SignInLockout
        from accounts.tokencache import connect_token_notices
        from audit import registry

        register_user_history()
        connect_token_notices(get_user_model(), ApiToken)
        registry.register(ApiToken, secret_fields={"digest"})
        registry.register(get_user_model(), secret_fields={"password"})
        registry.register(SignInLockout)  # staff only, as the default read rule
