"""Files from the Hugging Face hub through ``hf_hub_download``: the local cache first, the network
only when the file is not cached, and one clear error when neither has it."""

from pathlib import Path

from ..checks import InputError


def hub_file(
    repo_id, filename, *, repo_type="dataset", revision=None, cache_dir=None, local_files_only=False
):
    """The local path of ``filename`` from the hub repo ``repo_id``, downloading it if needed.

    The cache is tried first so that a cached file works offline without the hub's retries
    (about 20 s without a network). ``local_files_only=True`` never touches the network.
    """
    for name, value in (("repo_id", repo_id), ("filename", filename)):
        if not isinstance(value, str) or not value:
            raise InputError(f"{name} of a hub file must be a non-empty string; got {value!r}")
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    args = dict(repo_type=repo_type, revision=revision, cache_dir=cache_dir)
    try:
        return Path(hf_hub_download(repo_id, filename, local_files_only=True, **args))
    except LocalEntryNotFoundError:
        if local_files_only:
            raise ConnectionError(
                _not_available(repo_id, filename, repo_type, cache_dir, "offline mode")
            ) from None
    try:
        return Path(hf_hub_download(repo_id, filename, **args))
    except (OSError, HfHubHTTPError) as err:  # LocalEntryNotFoundError (no network) is an OSError
        raise ConnectionError(_not_available(repo_id, filename, repo_type, cache_dir, err)) from err


def _not_available(repo_id, filename, repo_type, cache_dir, reason):
    from huggingface_hub.constants import HF_HUB_CACHE

    return (
        f"{filename} from the Hugging Face hub {repo_type} repo {repo_id!r} is not in the cache "
        f"({cache_dir or HF_HUB_CACHE}) and could not be downloaded ({reason}). Connect to the internet once, "
        f"point cache_dir at a cache that holds it, or pass a local file instead."
    )
