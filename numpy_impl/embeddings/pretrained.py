"""Pretrained GloVe vectors (6B tokens, 400,000 words x 50 dims) from the Hugging Face hub."""

import numpy as np

from ..text.hub import hub_file
from .formats import load_glove_text

GLOVE_REPO = "igorbenav/glove-6b-50d"
GLOVE_FILE = "glove.6B.50d.txt"


def load_pretrained_glove(
    *,
    repo_id=GLOVE_REPO,
    filename=GLOVE_FILE,
    cache_dir=None,
    local_files_only=False,
    limit=None,
    dtype=np.float32,
):
    """GloVe vectors through ``hf_hub_download`` (cache first; a clear ConnectionError when the file is
    neither cached nor downloadable). ``limit`` keeps the most frequent words only."""
    path = hub_file(
        repo_id, filename, repo_type="dataset", cache_dir=cache_dir, local_files_only=local_files_only
    )
    return load_glove_text(path, limit=limit, dtype=dtype)
