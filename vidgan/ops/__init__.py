"""The arithmetic the pipeline and the trainer share, free of stages and files: compositing a masked
generator's output with its input."""
