"""Front ends over one renderer (:mod:`mapviz.render`): the Bokeh server app."""
