"""The embedded default's cache: Django's file cache with an atomic add and incr across processes."""

import os

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache
from django.core.files import locks


class LockedFileBasedCache(FileBasedCache):
    """FileBasedCache whose add and incr hold one exclusive file lock.

    Django's file cache implements add and incr as a read followed by a write, so concurrent
    web workers both read 5 and both write 6: a 30/h rate limit let 42 of 60 concurrent uploads
    through. Rate counters (django-ratelimit) only use add and incr, so serialising those two
    across every process on the machine makes the embedded limit exact. Redis (CACHE_REDIS_URL)
    is atomic on its own and does not use this class.
    """

    def _locked(self):
        os.makedirs(self._dir, 0o700, exist_ok=True)
        return open(os.path.join(self._dir, ".counters.lock"), "ab")

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        with self._locked() as f:
            locks.lock(f, locks.LOCK_EX)
            try:
                return super().add(key, value, timeout, version)
            finally:
                locks.unlock(f)

    def incr(self, key, delta=1, version=None):
        with self._locked() as f:
            locks.lock(f, locks.LOCK_EX)
            try:
                return super().incr(key, delta, version)
            finally:
                locks.unlock(f)
