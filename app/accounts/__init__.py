"""Accounts: who someone is. Passwords and their rules, one-time reset links, session
tokens rotated at logout, and personal API tokens (``identity``)."""
