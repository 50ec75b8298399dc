"""Teach ``highlight`` what a highlight looks like in your recordings.

The seed project's workflow (label ranges of frames, fine-tune ResNet50, choose a
threshold, merge) as one repeatable command line, one module per step:

* ``labels``: the labels file (``video,start,end,label``), drafts from a run, contact sheets
* ``dataset``: frames sampled from labelled ranges, cached as ``.npz`` shards, split by
  time blocks or whole videos, class weights
* ``model``: ResNet50 backbone + a small dense head, the training phases
* ``distribute``: ``tf.distribute.MirroredStrategy`` over GPUs or logical CPU devices, or
  ``MultiWorkerMirroredStrategy`` over several machines (``--worker-hosts`` or ``TF_CONFIG``)
* ``train``: the training loop and the model folder it writes
* ``evaluate``: frame- and interval-level scores of a model against a labels file

Nothing here imports TensorFlow at module level: ``highlight run`` without ``--model``
must start fast and work without it.
"""
