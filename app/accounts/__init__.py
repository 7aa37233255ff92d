"""Accounts: who someone is. Passwords and their rules, one-time reset links, session
tokens rotated at logout, and personal API tokens (``identity``); proving an email address
(``verification``); signing up and recovery without revealing who has an account
(``signup``); the mail that carries their links (``mail``)."""
