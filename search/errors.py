"""The errors a user can cause or fix, shown as one line, never a traceback."""


def user_errors() -> tuple[type[BaseException], ...]:
    from ingest.catalog import CatalogError
    from ingest.reader import DocumentError
    from index.build import IngestError
    from index.models import ModelError
    from index.store import IndexLoadError, IngestLockedError
    from .searcher import QueryError
    return (CatalogError, DocumentError, IngestError, QueryError, IndexLoadError, IngestLockedError, ModelError, OSError)
