namespace ZeroCopyPS; internal static class Placeholder {}
