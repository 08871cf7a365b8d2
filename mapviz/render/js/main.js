// Entry point of mapviz's one CustomJS callback.  Every trigger (document
// ready, buttons, slider, speed, hover, tap, the story source) runs this; the
// first run builds the player and keeps it on this document's plot model.
// The library files (util, anim, panel, hover, player) are spliced in at the
// marker below by mapviz.render.player.player_code().
//
// Arguments: m (the models), cfg (settings), and Bokeh's cb_obj, cb_data,
// cb_context.

let player = m.plot.__mapviz_player
if (player === undefined) {
  player = m.plot.__mapviz_player = (function () {
    /* @library */
    return createPlayer(m, cfg, cb_context.index)
  })()
}
player.dispatch(cb_obj, cb_data)
