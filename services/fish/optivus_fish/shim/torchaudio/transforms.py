from ._missing import module_getattr

__getattr__ = module_getattr("torchaudio.transforms")
