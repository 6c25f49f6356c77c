namespace Microsoft.EntityFrameworkCore; internal static class Placeholder { }
