"""Draw the still part of a 3D scene once and only the moving parts each frame.

On software OpenGL the 200×200 surface mesh costs most of a 3D frame, yet during
a race only the trails and markers move. The items drawn first that hold still
(the surface mesh) are rendered into an off-screen framebuffer with a depth
buffer; each frame copies its colour and depth into the window and draws the
other items over it, in the same order and depth-tested as before. The picture
is the one drawing everything gives: the copy holds what those items left in the
framebuffer. (Mesa rasterizes off screen upside down, so an edge pixel of the
mesh may be rounded one level differently in one channel; antialiased lines and
points differ more, which is why the axes are not held still.)

A new picture (the first frame, a turning camera) is drawn whole, as pyqtgraph
draws it; the layer is made when the same picture comes a second time, so frames
that cannot reuse it cost no more than before. The layer is drawn again whenever it
could differ: a held item changed (any of
its ``update()`` calls), the camera, the view's size or background changed, or
the held items are others."""

from __future__ import annotations

from OpenGL import GL
from pyqtgraph.opengl.GLGraphicsItem import GLGraphicsItem
from pyqtgraph.opengl.GLViewWidget import GLViewMixin

DEPTH_FORMATS = {(16, 0): GL.GL_DEPTH_COMPONENT16, (24, 0): GL.GL_DEPTH_COMPONENT24,
                 (32, 0): GL.GL_DEPTH_COMPONENT32, (24, 8): GL.GL_DEPTH24_STENCIL8}  # fmt: skip
"""The layer's depth buffer by the window's (depth, stencil) bits: a depth copy needs the same format."""


class Framebuffer:
    """An off-screen colour and depth buffer in the current GL context."""

    def __init__(self, depth_format: int) -> None:
        self.size = (0, 0)
        self.fbo = GL.glGenFramebuffers(1)
        self.buffers = GL.glGenRenderbuffers(2)
        self.formats = (GL.GL_RGBA8, depth_format)

    def resize(self, width: int, height: int) -> bool:
        """Storage for width × height pixels; whether GL can draw into it."""
        self.size = (width, height)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self.fbo)
        depth = (
            (GL.GL_STENCIL_ATTACHMENT, GL.GL_DEPTH_ATTACHMENT)
            if self.formats[1] == GL.GL_DEPTH24_STENCIL8
            else (GL.GL_DEPTH_ATTACHMENT,)
        )
        for buffer, fmt, attachments in zip(
            self.buffers, self.formats, ((GL.GL_COLOR_ATTACHMENT0,), depth), strict=True
        ):
            GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, buffer)
            GL.glRenderbufferStorage(GL.GL_RENDERBUFFER, fmt, width, height)
            for attachment in attachments:
                GL.glFramebufferRenderbuffer(
                    GL.GL_FRAMEBUFFER, attachment, GL.GL_RENDERBUFFER, buffer
                )
        return GL.glCheckFramebufferStatus(GL.GL_FRAMEBUFFER) == GL.GL_FRAMEBUFFER_COMPLETE

    def copy_to(self, target: int) -> None:
        """Copy colour and depth into framebuffer ``target``, and leave it bound."""
        w, h = self.size
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, self.fbo)
        GL.glBindFramebuffer(GL.GL_DRAW_FRAMEBUFFER, target)
        GL.glBlitFramebuffer(0, 0, w, h, 0, 0, w, h,
                             GL.GL_COLOR_BUFFER_BIT | GL.GL_DEPTH_BUFFER_BIT, GL.GL_NEAREST)  # fmt: skip
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, target)


class StillLayer:
    """The still items of one view and their cached rendering."""

    def __init__(self) -> None:
        self.items: list[GLGraphicsItem] = []
        self.renders = 0
        """How many times the layer was drawn (the tests count them)."""
        self.framebuffer: Framebuffer | None = None
        self.key: tuple | None = None
        """What the framebuffer holds: size, background, items and camera."""
        self.seen: tuple | None = None
        """The key of the last frame drawn whole."""

    def hold(self, item: GLGraphicsItem) -> None:
        """Draw ``item`` into the layer; any change to it redraws the layer."""
        original = item.update

        def update() -> None:
            self.key = None
            original()

        item.update = update  # type: ignore[method-assign]
        self.items.append(item)
        self.key = None

    def release(self, item: GLGraphicsItem) -> None:
        """``item`` is no longer part of the layer (it was removed from the view)."""
        self.items.remove(item)
        del item.update  # back to the class's method
        self.key = None

    def leading(self, drawn: list[GLGraphicsItem]) -> list[GLGraphicsItem]:
        """The items at the start of the draw order that are held still (visible or not)."""
        held = {id(item) for item in self.items}
        count = 0
        while count < len(drawn) and id(drawn[count]) in held:
            count += 1
        return drawn[:count]


class StillLayerView(GLViewMixin):
    """Mixin for pyqtgraph's GL views: :class:`StillLayer` in ``paintGL``.

    Where the GL cannot copy a depth buffer into the window's, every frame is
    drawn whole, as pyqtgraph draws it.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.still = StillLayer()
        self.layer_works = True
        """False once the GL refused the layer: every frame is then drawn whole."""

    def initializeGL(self) -> None:
        """A new context: the old one's framebuffer is gone with it."""
        self.still.framebuffer = self.still.key = None
        super().initializeGL()

    def removeItem(self, item: GLGraphicsItem) -> None:
        """Remove an item from the scene (and from the still layer if it was held)."""
        if item in self.still.items:
            self.still.release(item)
        super().removeItem(item)

    def paintGL(self) -> None:
        """The still layer (drawn again only when stale), then the other items over it."""
        drawn = sorted((i for i in self.items if i.parentItem() is None),
                       key=lambda i: i.depthValue())  # fmt: skip
        still = self.still.leading(drawn) if self.layer_works else []
        if not still or not self._paint_layered(still, drawn[len(still) :]):
            super().paintGL()

    def _paint_layered(self, still: list[GLGraphicsItem], moving: list[GLGraphicsItem]) -> bool:
        """Paint with the layer; False when this frame is to be drawn whole instead."""
        region = self.getViewport()
        self.setProjection(region, region)
        self.setModelview()
        layer, size = self.still, (self.deviceWidth(), self.deviceHeight())
        key = (size, self.opts["bgcolor"], tuple(map(id, still)),
               tuple(self.currentProjection().data()), tuple(self.currentModelView().data()))  # fmt: skip
        if key != layer.key and key != layer.seen:
            # A new picture is drawn whole; the layer is made once it holds still for a
            # second frame: a turning camera or the first frame costs no more than before.
            layer.seen = key
            return False
        target = self.defaultFramebufferObject()
        while GL.glGetError() not in (GL.GL_NO_ERROR, GL.GL_CONTEXT_LOST):
            pass  # an error Qt's own calls left is not ours: only errors of the calls below count
        try:
            if key != layer.key:
                if layer.framebuffer is None or layer.framebuffer.size != size:
                    self._size_framebuffer(size)
                GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, layer.framebuffer.fbo)
                self._clear()
                self._draw(still)
                layer.key = key
                layer.renders += 1
            layer.framebuffer.copy_to(target)
        except (GL.GLError, LookupError):  # no such depth format, or no copy between them
            self.layer_works = False
            GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, target)
            return False
        self._draw(moving)
        return True

    def _size_framebuffer(self, size: tuple[int, int]) -> None:
        """The layer's framebuffer at ``size``, its depth buffer of the window's format
        (which is bound)."""
        layer = self.still
        if layer.framebuffer is None:
            bits = (
                int(GL.glGetIntegerv(GL.GL_DEPTH_BITS)),
                int(GL.glGetIntegerv(GL.GL_STENCIL_BITS)),
            )
            layer.framebuffer = Framebuffer(DEPTH_FORMATS[bits])
        if not layer.framebuffer.resize(*size):
            raise LookupError(f"no framebuffer of {size} pixels")

    def _clear(self) -> None:
        GL.glClearColor(*self.opts["bgcolor"])
        GL.glClear(GL.GL_DEPTH_BUFFER_BIT | GL.GL_COLOR_BUFFER_BIT)

    def _draw(self, items: list[GLGraphicsItem]) -> None:
        """Top-level items in this order, as pyqtgraph's ``drawItemTree`` draws them."""
        for item in items:
            if not item.visible():
                continue
            self._modelViewStack.append(self.currentModelView() * item.transform())
            try:
                self.drawItemTree(item)
            finally:
                self._modelViewStack.pop()
