namespace ZeroCopyPS.Engine.Epoll;

/// <summary>
/// F_SETPIPE_SZ on a pipe's write end: the capacity the pipe has now (which may differ from the request),
/// or -1 with the errno. The engine uses <see cref="PipePool.KernelResize"/>; tests put a refusing or
/// shrinking one in its place (<see cref="ProxyOptions.PipeResizerForTests"/>).
/// </summary>
internal delegate int PipeResizer(int writeFd, int requestedBytes, out int errno);
