"""``mapviz site OUT/``: a static site -- a gallery of the bundled scenarios and a playground
that runs the simulator in the visitor's browser (Pyodide, in a Web Worker).

:mod:`~mapviz.site.worker` is the Python the playground runs in Pyodide: it imports
no Bokeh and no numpy (neither is there).  :mod:`~mapviz.site.build` writes the site
(Bokeh is available then); :mod:`~mapviz.site.wheels` packs the two wheels the
worker unpacks; :mod:`~mapviz.site.links` is the shareable link's format
(docs/PLAYGROUND.md).
"""
