namespace ZeroCopyPS.Engine.Epoll;
internal sealed class EpollProxyEngine
{
    public static ZeroCopyPS.Engine.Proxy.IProxyEngine Start(ZeroCopyPS.Engine.Proxy.ProxyOptions o, ZeroCopyPS.Engine.Proxy.IProxyObserver obs) => throw new NotImplementedException();
}
