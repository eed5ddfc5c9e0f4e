"""The page's live mode: the browser's camera over WebRTC (aiortc, built on PyAV), translated as it comes
(pipeline/live.py: the newest frame first, frames dropped, never queued) and sent back on the same
connection. Each session is one peer connection with its own LiveTranslator; a server holds at most
`max_live` at once, and every session ends (its connection closed, its thread stopped) at Stop, when the
browser goes away, and at shutdown. aiortc comes with `pip install 'vidgan[web]'`."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import av
from aiortc import RTCPeerConnection, RTCSessionDescription, VideoStreamTrack

from vidgan.engine.translator import FrameTranslator
from vidgan.errors import VidganError
from vidgan.pipeline.live import LiveFrame, LiveTranslator, choose_size
from vidgan.web.settings import LimitReached

CAMERA_RATE = 30.0  # frames/s `size auto` keeps up with for a camera


@dataclass
class Session:
    id: str
    client: str | None
    peer: RTCPeerConnection
    model: str
    size: int | None  # None: chosen on the first frame
    live: LiveTranslator | None = None
    outbox: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(maxsize=1))
    tasks: list[asyncio.Task] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def stats(self) -> dict:
        if self.live is None:
            return {"id": self.id, "state": "starting", "model": self.model}
        summary = self.live.summary()
        return {"id": self.id, "state": "live", "model": self.model, **{k: round(v, 2) if isinstance(v, float) else v
                                                                        for k, v in summary.items()}}  # fmt: skip


class LiveSessions:
    """The server's live sessions. `translator_for(model)` gives a translator of its own to each session (a
    translator is not shared between threads)."""

    def __init__(self, translator_for: Callable[[str], FrameTranslator], max_live: int) -> None:
        self.translator_for, self.max_live = translator_for, max_live
        self.sessions: dict[str, Session] = {}

    async def open(self, sdp: str, kind: str, model: str, size: int | None, client: str | None) -> tuple[str, dict]:
        """A new session from the browser's offer; returns (its id, the answer)."""
        if len(self.sessions) >= self.max_live:
            raise LimitReached(f"this server runs at most {self.max_live} live session(s) at once: try again "
                               f"when one has stopped")  # fmt: skip
        peer = RTCPeerConnection()
        session = Session(secrets.token_urlsafe(16), client, peer, model, size)
        self.sessions[session.id] = session
        peer.on("track", lambda track: self._on_track(session, track))
        peer.on("connectionstatechange", lambda: self._on_state(session))
        try:
            await peer.setRemoteDescription(RTCSessionDescription(sdp=sdp, type=kind))
            await peer.setLocalDescription(await peer.createAnswer())
        except Exception as e:  # a malformed offer: aiortc raises its own types
            await self.close(session.id)
            raise VidganError(f"the browser's offer cannot be answered: {e}".splitlines()[0]) from None
        return session.id, {"sdp": peer.localDescription.sdp, "type": peer.localDescription.type}

    def _on_track(self, session: Session, track) -> None:
        if track.kind != "video":
            return
        session.peer.addTrack(TranslatedTrack(session))
        session.tasks.append(asyncio.ensure_future(self._receive(session, track)))

    def _on_state(self, session: Session) -> None:
        if session.peer.connectionState in ("failed", "closed", "disconnected"):
            asyncio.ensure_future(self.close(session.id))

    async def _receive(self, session: Session, track) -> None:
        """The camera's frames into the session's translator, as fast as they come (the translator keeps
        only the newest); the translations into the outbox, a slot of one."""
        loop = asyncio.get_running_loop()

        def deliver(frame: LiveFrame) -> None:  # the translator's thread
            loop.call_soon_threadsafe(_replace, session.outbox, frame)

        with contextlib.suppress(Exception):  # the track ends when the browser goes
            while True:
                frame = await track.recv()
                rgb = frame.to_ndarray(format="rgb24")
                if session.live is None:
                    translator = await asyncio.to_thread(self.translator_for, session.model)
                    size = session.size
                    if size is None:
                        size, _ = await asyncio.to_thread(choose_size, translator, rgb, CAMERA_RATE)
                    session.live = LiveTranslator(translator, size, deliver)
                session.live.put(LiveFrame(rgb, time.monotonic(), frame.pts or 0))

    def get(self, session_id: str, client: str | None) -> Session | None:
        session = self.sessions.get(session_id)
        return session if session is not None and session.client == client else None

    async def close(self, session_id: str) -> bool:
        session = self.sessions.pop(session_id, None)
        if session is None:
            return False
        for task in session.tasks:
            task.cancel()
        await session.peer.close()
        if session.live is not None:
            await asyncio.to_thread(session.live.close)
        return True

    async def close_all(self) -> None:
        for session_id in list(self.sessions):
            await self.close(session_id)


def _replace(outbox: asyncio.Queue, frame: LiveFrame) -> None:
    """The newest translation waits for the track; an older one waiting is dropped."""
    with contextlib.suppress(asyncio.QueueEmpty):
        outbox.get_nowait()
    outbox.put_nowait(frame)


class TranslatedTrack(VideoStreamTrack):
    """The track sent back: each translation as it is ready, on the track's own clock."""

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session

    async def recv(self) -> av.VideoFrame:
        frame = await self.session.outbox.get()
        out = av.VideoFrame.from_ndarray(frame.output, format="rgb24")
        out.pts, out.time_base = await self.next_timestamp()
        return out
