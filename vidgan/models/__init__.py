"""The generators: networks, checkpoint files and cards, what `--model` names, official downloads, ONNX."""
