package io.flinkclip.io;

/** The one error type for unreadable, corrupt or unsupported model, tensor and vocabulary files. */
public class ClipFormatException extends RuntimeException {
    public ClipFormatException(String message) { super(message); }
    public ClipFormatException(String message, Throwable cause) { super(message, cause); }
}
