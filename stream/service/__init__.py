"""The tagging services: single images (and video frames) over gRPC and HTTP.

`fashion-stream serve grpc` answers the Tag My Outfit contract (`protos/tag_my_outfit.proto`) and
the product's own (`protos/fashion_stream.proto`); `fashion-stream serve http` the same images as
JSON. Both share one `TaggingService`: the detector, the colours, the CLIP attributes, and a
batcher that puts concurrent requests into one detector call."""
