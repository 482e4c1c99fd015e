package io.flinkclip.model.image;

/** An image that cannot be decoded or is unsafe to decode (corrupt, truncated, unsupported, too large). */
public class ImageDecodeException extends RuntimeException {
    public ImageDecodeException(String message) { super(message); }
    public ImageDecodeException(String message, Throwable cause) { super(message, cause); }
}
