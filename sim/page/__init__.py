"""The what-if page: two campaigns side by side on one community (``growthsim-app``, docs/app.md)."""
