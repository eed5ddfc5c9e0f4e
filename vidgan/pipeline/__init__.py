"""The translation pipeline, one module per stage, in the order a frame meets them:

    decode.py     Decode: the clip's frames as records (upright RGB at the working size, input timestamps)
    smooth.py     Link: how each input frame relates to the one before (flow, scene cuts), smoothing only
    translate.py  Translate: batches through the generator on the device; Download: results to the host
    upsample.py   Upsample: the outputs at the output size with the input's detail (on the CPU, or the GPU)
    smooth.py     Smooth: the outputs steadied along that motion (on the CPU, or on the GPU before Download)
    encode.py     Encode: into the file at the input's times, with the input's sound

record.py holds the records (one per frame, one per clip), runner.py connects stages with bounded queues
and threads, progress.py the progress bar, clip.py runs one clip's stages, segments.py a clip in segments
(parts joined at the end), jobs.py what one call translates: a clip, an image or a folder.
"""
