"""Raises what PyTorch raises for an op without a deterministic implementation under
torch.use_deterministic_algorithms(True) (the text of ATen's Context::alertNotDeterministic)."""
NAME = "refuses_determinism"
REPEATS = 2


def run_once(keras, np):
    raise RuntimeError(
        "scatter_add_cuda_kernel does not have a deterministic implementation, but you set "
        "'torch.use_deterministic_algorithms(True)'. You can turn off determinism just for this operation, "
        "or you can use the 'warn_only=True' option, if that's acceptable for your application. You can also "
        "file an issue at https://github.com/pytorch/pytorch/issues to help us prioritize adding deterministic "
        "support for this operation.")
