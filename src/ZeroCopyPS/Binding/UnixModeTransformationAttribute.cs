using System.Globalization;
using System.Management.Automation;

namespace ZeroCopyPS;

/// <summary>
/// Lets -UnixSocketMode take a mode the way chmod users write it: octal digits as a number or a string
/// (<c>660</c>, <c>0660</c>, <c>'0660'</c>), the symbolic form <c>'rw-rw----'</c>, or a .NET
/// <see cref="UnixFileMode"/>. PowerShell reads <c>0660</c> as the decimal number 660, so a number's
/// decimal digits are taken as octal digits; a digit 8 or 9 is refused rather than guessed at.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class UnixModeTransformationAttribute : ArgumentTransformationAttribute
{
    private const string Symbols = "rwxrwxrwx";

    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object value = inputData is PSObject pso ? pso.BaseObject : inputData;
        return value switch
        {
            UnixFileMode mode => (int)mode,
            int or long or short or byte or uint or ulong or ushort or sbyte =>
                FromOctalDigits(Convert.ToString(value, CultureInfo.InvariantCulture)!),
            string text => FromText(text.Trim()),
            null => throw new ArgumentTransformationMetadataException("A Unix socket mode cannot be null: use octal digits (0660) or rwx letters ('rw-rw----')."),
            _ => throw new ArgumentTransformationMetadataException(
                $"A Unix socket mode is octal digits (0660) or rwx letters ('rw-rw----'), not a {value.GetType().Name}."),
        };
    }

    private static int FromText(string text)
    {
        if (text.Length == Symbols.Length && text.All(c => c is 'r' or 'w' or 'x' or '-'))
        {
            int mode = 0;
            for (int i = 0; i < Symbols.Length; i++)
            {
                if (text[i] == Symbols[i]) mode |= 1 << (8 - i);
                else if (text[i] != '-')
                    throw new ArgumentTransformationMetadataException($"'{text}' has '{text[i]}' where only '{Symbols[i]}' or '-' can stand.");
            }
            return mode;
        }
        return FromOctalDigits(text);
    }

    private static int FromOctalDigits(string digits)
    {
        if (digits.Length == 0 || digits.Length > 4 || !digits.All(c => c is >= '0' and <= '7'))
            throw new ArgumentTransformationMetadataException(
                $"'{digits}' is not a Unix permission mode: use up to four octal digits (0660, 0600) or rwx letters ('rw-rw----').");
        int mode = Convert.ToInt32(digits, 8);
        if (mode > 0b111_111_111)
            throw new ArgumentTransformationMetadataException(
                $"'{digits}' sets setuid, setgid or sticky bits, which mean nothing for a socket: use permission bits only (at most 0777).");
        return mode;
    }
}
