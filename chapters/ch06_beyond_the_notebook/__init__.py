"""Chapter 6: beyond the notebook. The chapter 5 translator exported, served,
trained on several devices, and in mixed precision with XLA.

Read in this order: `graph_text.py` (ids back to text inside the graph),
`export.py` (the SavedModel: strings in, strings out), `serving.py` (loading it,
the `translate` command, the HTTP endpoint), `distributed.py` (data parallelism
with `tf.distribute`), `precision.py` (dtype policies) and `step_costs.py` (what
mixed precision and XLA cost and save, measured); `drawings.py` draws a data
parallel step, `exercises.py` checks the exercises.

This package imports nothing itself: `python -m
chapters.ch06_beyond_the_notebook.serving` must answer a wrong path or an empty
input before TensorFlow has loaded.
"""
