"""The credex-core API stand-in the tests use is the rehearsal's own (credex_orchestration/rehearsal/
api_stand_in.py), so the local default and the tests answer the same measured contract."""

from credex_orchestration.rehearsal.api_stand_in import ApiServer, ExpressRateLimit

__all__ = ["ApiServer", "ExpressRateLimit"]
