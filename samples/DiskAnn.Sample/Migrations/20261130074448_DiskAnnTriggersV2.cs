using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace DiskAnn.Sample.Migrations
{
    /// <inheritdoc />
    public partial class DiskAnnTriggersV2 : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Packages_Embedding",
                table: "Packages")
                .Annotation("DiskAnn:Column", "Embedding")
                .Annotation("DiskAnn:Dimension", 384)
                .Annotation("DiskAnn:KeyColumn", "Id")
                .Annotation("DiskAnn:Metric", "cosine")
                .Annotation("DiskAnn:UniqueKeys", "\"Name\"");

            migrationBuilder.CreateIndex(
                name: "IX_Packages_Embedding",
                table: "Packages",
                column: "Embedding")
                .Annotation("DiskAnn:Dimension", 384)
                .Annotation("DiskAnn:KeyColumn", "Id")
                .Annotation("DiskAnn:Metric", "cosine")
                .Annotation("DiskAnn:Triggers", 2)
                .Annotation("DiskAnn:UniqueKeys", "\"Name\"");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Packages_Embedding",
                table: "Packages")
                .Annotation("DiskAnn:Column", "Embedding")
                .Annotation("DiskAnn:Dimension", 384)
                .Annotation("DiskAnn:KeyColumn", "Id")
                .Annotation("DiskAnn:Metric", "cosine")
                .Annotation("DiskAnn:Triggers", 2)
                .Annotation("DiskAnn:UniqueKeys", "\"Name\"");

            migrationBuilder.CreateIndex(
                name: "IX_Packages_Embedding",
                table: "Packages",
                column: "Embedding")
                .Annotation("DiskAnn:Dimension", 384)
                .Annotation("DiskAnn:KeyColumn", "Id")
                .Annotation("DiskAnn:Metric", "cosine")
                .Annotation("DiskAnn:UniqueKeys", "\"Name\"");
        }
    }
}
