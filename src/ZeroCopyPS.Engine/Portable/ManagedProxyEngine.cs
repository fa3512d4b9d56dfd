namespace ZeroCopyPS.Engine.Portable;
internal sealed class ManagedProxyEngine
{
    public static ZeroCopyPS.Engine.Proxy.IProxyEngine Start(ZeroCopyPS.Engine.Proxy.ProxyOptions o, ZeroCopyPS.Engine.Proxy.IProxyObserver obs) => throw new NotImplementedException();
}
