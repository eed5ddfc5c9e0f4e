"""The shipped models (NAME.safetensors + NAME.json model card), installed as the package `vidgan.shipped`."""
