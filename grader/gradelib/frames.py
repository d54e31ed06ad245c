"""Binary frames over a byte stream: what a lab's codec gives the core.

A lab whose protocol is framed (a length, a type, a payload) writes a codec
with three methods and passes it to Conversation.connect(..., codec=...) or
FakeServer(..., codec=...). The conversation then sends and expects frames,
and a failure shows each frame decoded and its bytes:

    step 4  alice: expect MSG(name="bob", text="hi")  [00 00 00 07 04 03 62 6f 62 68 69]
            FAILED: expected MSG(name="bob", text="hi"), got JOIN(name="carol")
            [00 00 00 06 05 63 61 72 6f 6c]
"""


class Codec:
    """The interface of a lab's codec. Frames are any Python values the lab
    likes (a named tuple is handy); equality is how expect_frame compares."""

    def encode(self, frame):
        """The bytes of frame on the wire."""
        raise NotImplementedError

    def decode(self, data):
        """(frame, bytes used) for the first frame of data; None when data holds no
        whole frame yet. Raises ValueError(why) when the bytes cannot be a frame
        (a bad length), so the grader can say so."""
        raise NotImplementedError

    def describe(self, frame):
        """The frame as a student reads it: 'MSG(name="bob", text="hi")'."""
        return repr(frame)


def hex_of(data, limit=48):
    """'[00 00 00 07 04 ...]' (the first limit bytes, and how many there are)."""
    head = data[:limit].hex(" ")
    more = f" ... ({len(data)} bytes)" if len(data) > limit else ""
    return f"[{head}{more}]"


def shown(codec, frame):
    """A frame decoded and its bytes, for a story step."""
    return f"{codec.describe(frame)}  {hex_of(codec.encode(frame))}"
