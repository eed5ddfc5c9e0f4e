"""What runs a generator: the device, the precision, the frame translator (torch or onnxruntime)."""
