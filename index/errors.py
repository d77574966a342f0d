"""The errors a user can cause or fix, shown as one line, never a traceback."""


def user_errors() -> tuple[type[BaseException], ...]:
    from ingest.catalog import CatalogError
    from ingest.reader import DocumentError
    from .build import IngestError
    from .models import ModelError
    from .search import QueryError
    from .store import IndexLoadError, IngestLockedError
    return (CatalogError, DocumentError, IngestError, QueryError, IndexLoadError, IngestLockedError, ModelError, OSError)
