"""Accounts: API tokens and the identity helpers around Django's users."""
