from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PredictRequest(_message.Message):
    __slots__ = ("image_data", "all_categories", "all_attributes")
    IMAGE_DATA_FIELD_NUMBER: _ClassVar[int]
    ALL_CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    ALL_ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    image_data: bytes
    all_categories: bool
    all_attributes: bool
    def __init__(self, image_data: _Optional[bytes] = ..., all_categories: _Optional[bool] = ..., all_attributes: _Optional[bool] = ...) -> None: ...

class PredictResponse(_message.Message):
    __slots__ = ("categories", "attributes")
    CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    categories: _containers.RepeatedCompositeFieldContainer[Correspondence]
    attributes: _containers.RepeatedCompositeFieldContainer[Correspondence]
    def __init__(self, categories: _Optional[_Iterable[_Union[Correspondence, _Mapping]]] = ..., attributes: _Optional[_Iterable[_Union[Correspondence, _Mapping]]] = ...) -> None: ...

class StreamPredictResponse(_message.Message):
    __slots__ = ("predictions",)
    PREDICTIONS_FIELD_NUMBER: _ClassVar[int]
    predictions: _containers.RepeatedCompositeFieldContainer[Prediction]
    def __init__(self, predictions: _Optional[_Iterable[_Union[Prediction, _Mapping]]] = ...) -> None: ...

class Prediction(_message.Message):
    __slots__ = ("categories", "attributes")
    CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    categories: _containers.RepeatedCompositeFieldContainer[Correspondence]
    attributes: _containers.RepeatedCompositeFieldContainer[Correspondence]
    def __init__(self, categories: _Optional[_Iterable[_Union[Correspondence, _Mapping]]] = ..., attributes: _Optional[_Iterable[_Union[Correspondence, _Mapping]]] = ...) -> None: ...

class Correspondence(_message.Message):
    __slots__ = ("label", "value")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    label: str
    value: float
    def __init__(self, label: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
