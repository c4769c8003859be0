"""Settings for the test suite: the project's settings with test-only values that no environment can change.

The Clerk key (CLERK_JWT_KEY) is made per test session in tests/conftest.py.
"""

from chatsite.settings import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

CLERK_JWT_KEY = None
CLERK_SECRET_KEY = None
CLERK_PUBLISHABLE_KEY = None
CLERK_ISSUER = None
CLERK_DEV_SIGNIN = False
CLERK_AUTHORIZED_PARTIES = ["http://testserver", "https://app.example.com"]
CLERK_API_URL = "http://127.0.0.1:9"  # nothing listens there: a test that forgets its fake fails fast
CLERK_WEBHOOK_SECRET = None  # tests that deliver webhooks configure their own
CLERK_MEMBERSHIP_DELETED_ACTION = "delete"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# No collectstatic in tests: WhiteNoise looks files up through the finders.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
