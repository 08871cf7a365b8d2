"""Front ends over one renderer (:mod:`mapviz.render`): the server app and the notebook widget.

``server`` is ``mapviz serve``; ``widget`` is :class:`mapviz.MapViz`, over
``session`` (a script under a kernel model), ``stepper`` (the shown step, kept
in step with the page), ``quiz`` (predict-then-reveal) and ``describe`` (the
state in words), which import no GUI stack.
"""
