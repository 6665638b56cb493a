from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DetectRequest(_message.Message):
    __slots__ = ("image_data",)
    IMAGE_DATA_FIELD_NUMBER: _ClassVar[int]
    image_data: bytes
    def __init__(self, image_data: _Optional[bytes] = ...) -> None: ...

class Box(_message.Message):
    __slots__ = ("x1", "y1", "x2", "y2")
    X1_FIELD_NUMBER: _ClassVar[int]
    Y1_FIELD_NUMBER: _ClassVar[int]
    X2_FIELD_NUMBER: _ClassVar[int]
    Y2_FIELD_NUMBER: _ClassVar[int]
    x1: float
    y1: float
    x2: float
    y2: float
    def __init__(self, x1: _Optional[float] = ..., y1: _Optional[float] = ..., x2: _Optional[float] = ..., y2: _Optional[float] = ...) -> None: ...

class Attribute(_message.Message):
    __slots__ = ("group", "label", "score")
    GROUP_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    group: str
    label: str
    score: float
    def __init__(self, group: _Optional[str] = ..., label: _Optional[str] = ..., score: _Optional[float] = ...) -> None: ...

class Item(_message.Message):
    __slots__ = ("label", "group", "supercategory", "score", "box", "color", "attributes", "track_id", "slot", "person")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    SUPERCATEGORY_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    BOX_FIELD_NUMBER: _ClassVar[int]
    COLOR_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    TRACK_ID_FIELD_NUMBER: _ClassVar[int]
    SLOT_FIELD_NUMBER: _ClassVar[int]
    PERSON_FIELD_NUMBER: _ClassVar[int]
    label: str
    group: str
    supercategory: str
    score: float
    box: Box
    color: str
    attributes: _containers.RepeatedCompositeFieldContainer[Attribute]
    track_id: int
    slot: str
    person: int
    def __init__(self, label: _Optional[str] = ..., group: _Optional[str] = ..., supercategory: _Optional[str] = ..., score: _Optional[float] = ..., box: _Optional[_Union[Box, _Mapping]] = ..., color: _Optional[str] = ..., attributes: _Optional[_Iterable[_Union[Attribute, _Mapping]]] = ..., track_id: _Optional[int] = ..., slot: _Optional[str] = ..., person: _Optional[int] = ...) -> None: ...

class DetectResponse(_message.Message):
    __slots__ = ("width", "height", "model", "items")
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    width: int
    height: int
    model: str
    items: _containers.RepeatedCompositeFieldContainer[Item]
    def __init__(self, width: _Optional[int] = ..., height: _Optional[int] = ..., model: _Optional[str] = ..., items: _Optional[_Iterable[_Union[Item, _Mapping]]] = ...) -> None: ...

class TrackRequest(_message.Message):
    __slots__ = ("image_data", "pts")
    IMAGE_DATA_FIELD_NUMBER: _ClassVar[int]
    PTS_FIELD_NUMBER: _ClassVar[int]
    image_data: bytes
    pts: float
    def __init__(self, image_data: _Optional[bytes] = ..., pts: _Optional[float] = ...) -> None: ...

class OutfitSlot(_message.Message):
    __slots__ = ("slot", "label", "confidence", "provisional", "color", "parts", "attributes", "garment")
    SLOT_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    PROVISIONAL_FIELD_NUMBER: _ClassVar[int]
    COLOR_FIELD_NUMBER: _ClassVar[int]
    PARTS_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    GARMENT_FIELD_NUMBER: _ClassVar[int]
    slot: str
    label: str
    confidence: float
    provisional: bool
    color: str
    parts: _containers.RepeatedScalarFieldContainer[str]
    attributes: _containers.RepeatedCompositeFieldContainer[Attribute]
    garment: int
    def __init__(self, slot: _Optional[str] = ..., label: _Optional[str] = ..., confidence: _Optional[float] = ..., provisional: _Optional[bool] = ..., color: _Optional[str] = ..., parts: _Optional[_Iterable[str]] = ..., attributes: _Optional[_Iterable[_Union[Attribute, _Mapping]]] = ..., garment: _Optional[int] = ...) -> None: ...

class Person(_message.Message):
    __slots__ = ("track_id", "box", "outfit")
    TRACK_ID_FIELD_NUMBER: _ClassVar[int]
    BOX_FIELD_NUMBER: _ClassVar[int]
    OUTFIT_FIELD_NUMBER: _ClassVar[int]
    track_id: int
    box: Box
    outfit: _containers.RepeatedCompositeFieldContainer[OutfitSlot]
    def __init__(self, track_id: _Optional[int] = ..., box: _Optional[_Union[Box, _Mapping]] = ..., outfit: _Optional[_Iterable[_Union[OutfitSlot, _Mapping]]] = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ("event", "person", "json")
    EVENT_FIELD_NUMBER: _ClassVar[int]
    PERSON_FIELD_NUMBER: _ClassVar[int]
    JSON_FIELD_NUMBER: _ClassVar[int]
    event: str
    person: int
    json: str
    def __init__(self, event: _Optional[str] = ..., person: _Optional[int] = ..., json: _Optional[str] = ...) -> None: ...

class TrackResponse(_message.Message):
    __slots__ = ("frame", "pts", "people", "garments", "events")
    FRAME_FIELD_NUMBER: _ClassVar[int]
    PTS_FIELD_NUMBER: _ClassVar[int]
    PEOPLE_FIELD_NUMBER: _ClassVar[int]
    GARMENTS_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    frame: int
    pts: float
    people: _containers.RepeatedCompositeFieldContainer[Person]
    garments: _containers.RepeatedCompositeFieldContainer[Item]
    events: _containers.RepeatedCompositeFieldContainer[Event]
    def __init__(self, frame: _Optional[int] = ..., pts: _Optional[float] = ..., people: _Optional[_Iterable[_Union[Person, _Mapping]]] = ..., garments: _Optional[_Iterable[_Union[Item, _Mapping]]] = ..., events: _Optional[_Iterable[_Union[Event, _Mapping]]] = ...) -> None: ...
