"""The throttles counted in the database every instance shares: failed logins and registrations
(login.py), per-user rate budgets the apps declare (budgets.py)."""
