"""Static content of the demo co-op, used by ``manage.py seed_demo``.

Farms, their catalogue (by kind of farm), pickup points and the demo accounts
(generated people get Faker's names: see `demo.factories`). Nothing here touches the
database.
"""

from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal

from farms.models import Category, Region, TaxClass, Unit

DEMO_EMAIL_DOMAIN = "demo.coop"
DEMO_PASSWORD = "coop-demo-2026"  # noqa: S105 - a published demo password, on purpose.


# The tables below keep one entry per line or two, as written: the formatter is off.
# fmt: off

# --- Certifications -------------------------------------------------------------------

BIO = "Biologique Canada"
ECOCERT = "Écocert"
AQ = "Aliments du Québec"
ASC = "Agriculture soutenue par la communauté"
CERTIFICATIONS: tuple[str, ...] = (BIO, ECOCERT, AQ, ASC)


# --- Catalogue --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProductTemplate:
    """A product a kind of farm may sell; each farm adjusts its price and quantity."""

    name: str
    category: str
    unit: str
    price: Decimal
    default_quantity: int
    package_size: str = ""
    tax_class: str = TaxClass.ZERO_RATED
    description: str = ""
    estimated_weight: Decimal | None = None  # sold by the piece, priced by weight
    deposit: Decimal = Decimal("0.00")  # on a returnable container (a jar, a bottle)


VEG = Category.VEGETABLES
FRUIT = Category.FRUITS
EGGS = Category.EGGS
MEAT = Category.MEAT
DAIRY = Category.DAIRY
BAKERY = Category.BAKERY
MAPLE = Category.MAPLE
PANTRY = Category.PANTRY
OTHER = Category.OTHER

EACH = Unit.EACH
BUNCH = Unit.BUNCH
DOZEN = Unit.DOZEN
KG = Unit.KG
LITRE = Unit.LITRE
PACK = Unit.PACKAGE


def item(
    name: str,
    category: str,
    unit: str,
    price: str,
    quantity: int,
    size: str = "",
    *,
    taxable: bool = False,
    text: str = "",
    weight: str = "",
    deposit: str = "0.00",
) -> ProductTemplate:
    return ProductTemplate(
        name=name,
        category=category,
        unit=unit,
        price=Decimal(price),
        default_quantity=quantity,
        package_size=size,
        tax_class=TaxClass.TAXABLE if taxable else TaxClass.ZERO_RATED,
        description=text,
        estimated_weight=Decimal(weight) if weight else None,
        deposit=Decimal(deposit),
    )


# Products sold by more than one kind of farm.
TOMATES_CERISES = item(
    "Tomates cerises multicolores", VEG, PACK, "6.00", 30, "500 g",
    text="Un mélange de tomates cerises rouges, jaunes et noires.",
)
CONCOMBRES = item("Concombres anglais", VEG, EACH, "2.25", 40)
LAITUE_BOSTON = item("Laitue Boston", VEG, EACH, "3.25", 40, text="Tendre et beurrée.")
BASILIC = item("Basilic génois", VEG, BUNCH, "3.00", 20)
POUSSES_TOURNESOL = item(
    "Pousses de tournesol", VEG, PACK, "4.00", 25, "100 g",
    text="Croquantes et goût de noisette, à ajouter aux salades.",
)
PLANTS_TOMATES = item(
    "Plants de tomates ancestrales", OTHER, EACH, "4.50", 24, taxable=True,
    text="En pot de 10 cm, prêts à repiquer au jardin.",
)
PLANT_BASILIC = item("Plant de basilic en pot", OTHER, EACH, "5.00", 20, taxable=True)
OEUFS_CANE = item("Œufs de cane", EGGS, PACK, "7.00", 10, "6 œufs")
SAVON_CHEVRE = item(
    "Savon au lait de chèvre", OTHER, EACH, "7.00", 20, taxable=True,
    text="Pain de savon de 100 g saponifié à froid.",
)
CONFITURE_FRAISES = item("Confiture de fraises", PANTRY, PACK, "6.50", 20, "250 ml")
JUS_POMME = item(
    "Jus de pomme non filtré", PANTRY, LITRE, "4.50", 40,
    text="Pur jus pressé à froid, sans sucre ajouté.",
)

MARAICHER: tuple[ProductTemplate, ...] = (
    item(
        "Carottes nantaises", VEG, BUNCH, "3.50", 40,
        text="Botte de jeunes carottes sucrées, avec leurs fanes.",
    ),
    item("Carottes de conservation", VEG, KG, "3.25", 50),
    item("Épinards", VEG, PACK, "4.50", 30, "250 g", text="Jeunes feuilles lavées."),
    item(
        "Mesclun de saison", VEG, PACK, "5.50", 35, "200 g",
        text="Laitues, moutardes et fleurs comestibles.",
    ),
    LAITUE_BOSTON,
    item("Laitue feuille de chêne", VEG, EACH, "3.00", 30),
    item("Tomates ancestrales", VEG, KG, "8.50", 25, text="Cœur-de-bœuf, Cherokee, Green Zebra…"),
    TOMATES_CERISES,
    CONCOMBRES,
    item("Poivrons rouges", VEG, KG, "9.00", 20),
    item("Courgettes", VEG, KG, "5.50", 30),
    item("Haricots verts", VEG, PACK, "5.50", 25, "500 g"),
    item("Betteraves rouges", VEG, BUNCH, "4.00", 30),
    item("Radis français", VEG, BUNCH, "3.00", 35),
    item("Chou frisé", VEG, BUNCH, "4.00", 25, text="Kale vert frisé, idéal en croustilles."),
    item("Bette à carde arc-en-ciel", VEG, BUNCH, "4.25", 20),
    item("Oignons jaunes", VEG, KG, "3.00", 40),
    item("Ail du Québec", VEG, EACH, "2.50", 60, text="Une tête d'ail Music, séchée à la ferme."),
    item("Pommes de terre Yukon Gold", VEG, KG, "2.75", 60),
    item("Pommes de terre grelots", VEG, PACK, "5.50", 30, "1 kg"),
    item("Brocoli", VEG, EACH, "3.75", 25),
    item("Chou-fleur", VEG, EACH, "4.50", 20),
    item("Courge butternut", VEG, EACH, "4.00", 25),
    item("Poireaux", VEG, EACH, "2.25", 30),
    item("Maïs sucré", VEG, DOZEN, "8.00", 20, text="Cueilli le matin de la livraison."),
    item("Panais", VEG, KG, "5.00", 20),
    item("Céleri-rave", VEG, EACH, "3.50", 15),
    BASILIC,
    item("Persil italien", VEG, BUNCH, "2.50", 20),
    item("Coriandre", VEG, BUNCH, "2.50", 20),
)

FLEURS: tuple[ProductTemplate, ...] = (
    item(
        "Bouquet de fleurs coupées", OTHER, BUNCH, "15.00", 15, taxable=True,
        text="Zinnias, cosmos et dahlias selon la saison.",
    ),
    item("Bouquet de tournesols", OTHER, BUNCH, "12.00", 12, taxable=True),
    item("Bouquet de pivoines", OTHER, BUNCH, "18.00", 10, taxable=True),
    PLANTS_TOMATES,
    PLANT_BASILIC,
)

SERRE: tuple[ProductTemplate, ...] = (
    item("Tomates de serre en grappe", VEG, KG, "6.50", 40),
    TOMATES_CERISES,
    CONCOMBRES,
    item("Mini-concombres", VEG, PACK, "4.50", 30, "500 g"),
    item("Poivrons de couleur", VEG, KG, "8.50", 25),
    item("Aubergines", VEG, KG, "6.00", 15),
    LAITUE_BOSTON,
    BASILIC,
    item("Micro-pousses de radis", VEG, PACK, "4.50", 25, "100 g"),
    POUSSES_TOURNESOL,
    item("Pousses de pois", VEG, PACK, "4.00", 25, "100 g"),
    PLANTS_TOMATES,
    PLANT_BASILIC,
)

CHAMPIGNONS: tuple[ProductTemplate, ...] = (
    item("Pleurotes gris", VEG, PACK, "6.50", 30, "250 g"),
    item("Pleurotes roses", VEG, PACK, "7.00", 15, "200 g"),
    item("Shiitakes", VEG, PACK, "8.00", 25, "250 g"),
    item(
        "Crinière de lion", VEG, PACK, "9.00", 10, "200 g",
        text="Texture de homard, à poêler au beurre.",
    ),
    item("Shiitakes séchés", PANTRY, PACK, "8.50", 15, "30 g"),
    item("Mélange de champignons séchés", PANTRY, PACK, "10.00", 15, "40 g"),
    item("Tartinade de champignons", PANTRY, PACK, "8.00", 15, "250 ml"),
    item(
        "Trousse de culture de pleurotes", OTHER, EACH, "25.00", 6, taxable=True,
        text="Un sac de substrat ensemencé : récoltez chez vous en deux semaines.",
    ),
    POUSSES_TOURNESOL,
)

VERGER: tuple[ProductTemplate, ...] = (
    item("Pommes McIntosh", FRUIT, KG, "3.50", 60),
    item("Pommes Cortland", FRUIT, KG, "3.50", 50),
    item("Pommes Honeycrisp", FRUIT, KG, "5.50", 40),
    item("Pommes Spartan", FRUIT, KG, "3.75", 40),
    item("Pommes Empire", FRUIT, KG, "3.75", 40),
    item("Poires Bartlett", FRUIT, KG, "5.00", 20),
    item("Prunes bleues", FRUIT, KG, "6.50", 15),
    JUS_POMME,
    item("Compote de pommes", PANTRY, PACK, "6.00", 25, "500 ml", text="Sans sucre ajouté."),
    item("Gelée de pommettes", PANTRY, PACK, "6.00", 20, "250 ml"),
    item("Beurre de pomme", PANTRY, PACK, "7.00", 15, "250 ml"),
    item("Vinaigre de cidre de pomme", PANTRY, PACK, "7.50", 15, "500 ml"),
    item("Pommes séchées en rondelles", PANTRY, PACK, "5.50", 20, "100 g"),
    item("Tarte aux pommes", BAKERY, EACH, "15.00", 10),
)

PETITS_FRUITS: tuple[ProductTemplate, ...] = (
    item("Fraises d'été", FRUIT, PACK, "7.50", 40, "1 L", text="Cueillies à pleine maturité."),
    item("Fraises d'automne", FRUIT, PACK, "8.00", 25, "1 L"),
    item("Framboises", FRUIT, PACK, "6.00", 25, "250 g"),
    item("Bleuets sauvages", FRUIT, PACK, "8.00", 40, "500 g"),
    item("Bleuets surgelés", FRUIT, PACK, "12.00", 20, "1 kg"),
    item("Camerises", FRUIT, PACK, "6.50", 20, "250 g", text="Le petit fruit nordique, acidulé."),
    item("Cerises de terre", FRUIT, PACK, "5.50", 20, "250 g"),
    item("Canneberges fraîches", FRUIT, PACK, "4.50", 30, "340 g"),
    item("Canneberges séchées", PANTRY, PACK, "6.50", 20, "200 g"),
    item("Rhubarbe", FRUIT, BUNCH, "4.00", 20),
    CONFITURE_FRAISES,
    item("Confiture de framboises", PANTRY, PACK, "7.00", 20, "250 ml"),
    item("Jus de canneberge pur", PANTRY, LITRE, "6.50", 20),
)

BOREAL: tuple[ProductTemplate, ...] = (
    item("Confiture de chicoutai", PANTRY, PACK, "12.00", 10, "125 ml"),
    item("Confiture d'argousier", PANTRY, PACK, "10.00", 10, "125 ml"),
    item(
        "Thé du Labrador", PANTRY, PACK, "8.00", 15, "30 g",
        text="Tisane boréale cueillie à la main.",
    ),
    item("Poivre des dunes", PANTRY, PACK, "9.00", 15, "15 g"),
    item("Gelée de cormier", PANTRY, PACK, "8.00", 10, "125 ml"),
)

ERABLE: tuple[ProductTemplate, ...] = (
    item(
        "Sirop d'érable ambré", MAPLE, LITRE, "18.50", 40,
        text="Goût riche, le sirop de tous les jours.",
    ),
    item(
        "Sirop d'érable doré", MAPLE, PACK, "11.00", 30, "540 ml",
        text="Goût délicat, en conserve.",
    ),
    item("Sirop d'érable foncé", MAPLE, PACK, "10.50", 30, "540 ml"),
    item("Sirop d'érable très foncé", MAPLE, PACK, "18.00", 15, "1 L", text="Pour cuisiner."),
    item("Beurre d'érable", MAPLE, PACK, "9.50", 25, "330 g"),
    item("Sucre d'érable granulé", MAPLE, PACK, "10.00", 20, "250 g"),
    item("Flocons d'érable", MAPLE, PACK, "7.00", 15, "100 g"),
    item("Gelée d'érable", MAPLE, PACK, "8.50", 15, "250 ml"),
    item("Pain de sucre d'érable", MAPLE, PACK, "14.00", 10, "500 g"),
    item("Eau d'érable", MAPLE, LITRE, "3.50", 20),
    item("Tire d'érable sur bâton", MAPLE, EACH, "2.50", 40, taxable=True),
    item("Bonbons à l'érable", MAPLE, PACK, "7.00", 25, "150 g", taxable=True),
    item("Suçons à l'érable", MAPLE, EACH, "1.50", 40, taxable=True),
    item("Cornets à l'érable", MAPLE, PACK, "9.00", 15, "4 cornets", taxable=True),
    item("Moutarde à l'érable", PANTRY, PACK, "6.50", 15, "250 ml"),
)

OEUFS: tuple[ProductTemplate, ...] = (
    item(
        "Œufs de poules en liberté", EGGS, DOZEN, "6.50", 50,
        text="Gros œufs bruns de poules qui sortent tous les jours.",
    ),
    item("Œufs biologiques", EGGS, DOZEN, "7.50", 40),
    item("Œufs bruns extra-gros", EGGS, DOZEN, "5.75", 40),
    item("Plateau d'œufs de poules pâturées", EGGS, PACK, "15.00", 15, "30 œufs"),
    OEUFS_CANE,
    item("Œufs de caille", EGGS, PACK, "6.00", 15, "18 œufs"),
)

VOLAILLE: tuple[ProductTemplate, ...] = (
    item(
        "Poulet entier de grain", MEAT, KG, "12.00", 20, weight="2.2",
        text="Environ 2,2 kg ; vous payez son poids réel, pesé après la commande.",
    ),
    item("Poitrines de poulet désossées", MEAT, KG, "24.00", 15),
    item("Cuisses de poulet", MEAT, KG, "11.00", 15),
    item("Ailes de poulet", MEAT, KG, "12.50", 10),
    item("Poulet haché", MEAT, PACK, "9.00", 20, "500 g"),
    item("Foies de poulet", MEAT, PACK, "5.00", 10, "500 g"),
    item("Saucisses de poulet aux fines herbes", MEAT, PACK, "10.50", 20, "500 g"),
    item("Dinde entière", MEAT, KG, "11.50", 6),
    item("Bouillon de poulet maison", PANTRY, PACK, "8.00", 15, "1 L"),
)

CANARD: tuple[ProductTemplate, ...] = (
    item("Magret de canard", MEAT, EACH, "19.00", 15, text="Environ 400 g."),
    item("Cuisses de canard confites", MEAT, PACK, "18.00", 15, "2 cuisses"),
    item("Canard entier", MEAT, KG, "16.00", 8),
    item("Rillettes de canard", MEAT, PACK, "9.50", 20, "200 g"),
    item("Saucisses de canard", MEAT, PACK, "12.00", 15, "500 g"),
    item("Mousse de foie de canard", PANTRY, PACK, "9.00", 15, "125 g"),
    item("Gras de canard", PANTRY, PACK, "7.00", 15, "250 ml"),
    item("Bouillon de canard", PANTRY, PACK, "9.00", 10, "1 L"),
    OEUFS_CANE,
)

BOEUF: tuple[ProductTemplate, ...] = (
    item("Bœuf haché mi-maigre", MEAT, PACK, "9.50", 50, "500 g"),
    item("Steaks de surlonge", MEAT, PACK, "18.00", 20, "400 g"),
    item("Rôti de palette", MEAT, KG, "22.00", 10),
    item("Bavette de bœuf", MEAT, KG, "32.00", 8),
    item("Cubes à ragoût", MEAT, PACK, "12.50", 20, "500 g"),
    item("Os à moelle", MEAT, PACK, "6.00", 10, "1 kg"),
    item("Foie de veau", MEAT, PACK, "8.00", 8, "500 g"),
)

PORC: tuple[ProductTemplate, ...] = (
    item("Côtelettes de porc", MEAT, KG, "16.00", 15),
    item("Saucisses de porc à l'érable", MEAT, PACK, "10.00", 30, "500 g"),
    item("Bacon fumé à l'érable", MEAT, PACK, "10.50", 25, "375 g"),
    item("Porc haché", MEAT, PACK, "7.50", 25, "500 g"),
    item("Jambon fumé à l'os", MEAT, KG, "14.00", 8),
    item("Cretons maison", MEAT, PACK, "6.00", 20, "250 g", text="La recette de grand-maman."),
    item("Côtes levées", MEAT, KG, "17.00", 10),
)

BERGERIE: tuple[ProductTemplate, ...] = (
    item("Agneau haché", MEAT, PACK, "13.00", 20, "500 g"),
    item("Gigot d'agneau", MEAT, KG, "28.00", 8),
    item("Côtelettes d'agneau", MEAT, PACK, "21.00", 15, "400 g"),
    item("Merguez d'agneau", MEAT, PACK, "12.00", 20, "500 g"),
    item("Épaule d'agneau désossée", MEAT, KG, "24.00", 8),
    item("Jarrets d'agneau", MEAT, PACK, "17.00", 10, "2 jarrets"),
    item("Tomme de brebis", DAIRY, PACK, "11.00", 15, "200 g"),
    item("Yogourt de brebis", DAIRY, PACK, "7.50", 15, "500 g"),
    item("Ricotta de brebis", DAIRY, PACK, "7.00", 10, "250 g"),
    item("Laine cardée", OTHER, PACK, "12.00", 8, "100 g", taxable=True),
    item("Savon au lait de brebis", OTHER, EACH, "7.00", 15, taxable=True),
)

CHEVRERIE: tuple[ProductTemplate, ...] = (
    item(
        "Lait de chèvre", DAIRY, LITRE, "4.50", 20, deposit="1.50",
        text="En bouteille de verre consignée (1,50 $, rendus en crédit au retour).",
    ),
    item("Fromage de chèvre frais", DAIRY, PACK, "6.50", 25, "150 g"),
    item("Chèvre frais aux fines herbes", DAIRY, PACK, "7.00", 20, "150 g"),
    item("Crottin de chèvre affiné", DAIRY, PACK, "6.50", 15, "100 g"),
    item("Feta de chèvre", DAIRY, PACK, "8.00", 15, "200 g"),
    item("Yogourt de chèvre", DAIRY, PACK, "6.50", 15, "500 g"),
    item("Chevreau haché", MEAT, PACK, "12.00", 8, "500 g"),
    item("Caramel au lait de chèvre", PANTRY, PACK, "9.00", 12, "250 ml"),
    SAVON_CHEVRE,
)

LAITIER: tuple[ProductTemplate, ...] = (
    item("Lait entier 3,25 %", DAIRY, LITRE, "3.25", 40, text="En bouteille de verre consignée."),
    item("Lait 2 %", DAIRY, LITRE, "3.00", 30),
    item("Crème 35 %", DAIRY, PACK, "5.25", 20, "500 ml"),
    item("Beurre salé de baratte", DAIRY, PACK, "7.50", 25, "250 g"),
    item("Yogourt nature", DAIRY, PACK, "6.50", 25, "750 g"),
    item("Yogourt à l'érable", DAIRY, PACK, "5.50", 20, "500 g"),
    item(
        "Fromage en grains", DAIRY, PACK, "7.50", 30, "400 g",
        text="Frais du jour : il fait « couic » sous la dent !",
    ),
    item("Cheddar vieilli 2 ans", DAIRY, PACK, "8.50", 25, "200 g"),
    item("Fromage à croûte fleurie", DAIRY, PACK, "10.50", 15, "170 g"),
    item("Fromage à raclette", DAIRY, KG, "34.00", 8),
    item("Kéfir nature", DAIRY, LITRE, "6.00", 15),
    item("Babeurre", DAIRY, LITRE, "3.50", 10),
    item("Crème glacée à la vanille", DAIRY, PACK, "8.00", 15, "500 ml"),
)

BOULANGERIE: tuple[ProductTemplate, ...] = (
    item("Pain au levain nature", BAKERY, EACH, "6.50", 40, text="Miche de 800 g, croûte épaisse."),
    item("Baguette de tradition", BAKERY, EACH, "3.50", 40),
    item("Miche de seigle", BAKERY, EACH, "7.00", 20),
    item("Pain aux noix et raisins", BAKERY, EACH, "7.50", 20),
    item("Pain de ménage tranché", BAKERY, EACH, "5.50", 30),
    item("Pain sans gluten aux graines", BAKERY, EACH, "8.50", 10),
    item("Croissants au beurre", BAKERY, PACK, "12.00", 20, "6 croissants"),
    item("Chocolatines", BAKERY, PACK, "13.50", 15, "6 chocolatines"),
    item("Muffins aux bleuets", BAKERY, PACK, "11.00", 15, "6 muffins"),
    item(
        "Brioche à la cannelle", BAKERY, EACH, "4.00", 30, taxable=True,
        text="Vendue à l'unité, donc taxable.",
    ),
    item("Tarte aux bleuets", BAKERY, EACH, "16.00", 10),
    item("Tourtière traditionnelle", BAKERY, EACH, "14.00", 12, text="Porc et bœuf, à réchauffer."),
    item("Bagels au sésame", BAKERY, PACK, "7.00", 20, "6 bagels"),
    item("Biscuits à l'avoine et à l'érable", BAKERY, PACK, "7.50", 20, "12 biscuits"),
    item("Pouding chômeur", BAKERY, EACH, "10.00", 10),
    item("Granola à l'érable", PANTRY, PACK, "9.00", 20, "500 g"),
)

CEREALES: tuple[ProductTemplate, ...] = (
    item(
        "Farine de blé intégrale", PANTRY, PACK, "8.50", 20, "2 kg",
        text="Moulue sur meule de pierre.",
    ),
    item("Farine tout usage non blanchie", PANTRY, PACK, "7.50", 20, "2 kg"),
    item("Farine de sarrasin", PANTRY, PACK, "6.50", 20, "1 kg", text="Pour les galettes."),
    item("Farine d'épeautre", PANTRY, PACK, "7.00", 15, "1 kg"),
    item("Flocons d'avoine", PANTRY, PACK, "5.50", 25, "1 kg"),
    item("Lentilles vertes", PANTRY, PACK, "4.75", 20, "500 g"),
    item("Pois jaunes à soupe", PANTRY, PACK, "4.50", 20, "1 kg"),
    item("Haricots secs Soldat", PANTRY, PACK, "5.50", 15, "500 g"),
    item("Orge mondé", PANTRY, PACK, "5.00", 15, "1 kg"),
    item("Graines de lin", PANTRY, PACK, "5.00", 15, "500 g"),
    item("Huile de caméline", PANTRY, PACK, "13.00", 12, "250 ml"),
    item("Huile de tournesol pressée à froid", PANTRY, PACK, "12.00", 12, "500 ml"),
)

RUCHER: tuple[ProductTemplate, ...] = (
    item(
        "Miel de trèfle", PANTRY, PACK, "11.00", 30, "500 g", deposit="0.50",
        text="En pot Mason consigné : rapportez le pot, 0,50 $ vont à votre crédit.",
    ),
    item("Miel de fleurs sauvages", PANTRY, PACK, "12.00", 25, "500 g"),
    item("Miel crémeux", PANTRY, PACK, "7.50", 25, "250 g"),
    item("Miel de sarrasin", PANTRY, PACK, "12.50", 15, "500 g", text="Foncé et corsé."),
    item("Miel en rayon", PANTRY, PACK, "15.00", 8, "250 g"),
    item("Pollen d'abeille", PANTRY, PACK, "14.00", 8, "150 g"),
    item("Vinaigre de miel", PANTRY, PACK, "9.00", 10, "250 ml"),
    item("Bougie en cire d'abeille", OTHER, EACH, "12.00", 15, taxable=True),
    item("Baume à lèvres à la cire d'abeille", OTHER, EACH, "5.00", 20, taxable=True),
    item(
        "Emballages alimentaires à la cire d'abeille", OTHER, PACK, "18.00", 10, "3 formats",
        taxable=True,
    ),
)

EPICERIE: tuple[ProductTemplate, ...] = (
    item("Ketchup aux fruits", PANTRY, PACK, "8.00", 15, "500 ml"),
    item("Betteraves marinées", PANTRY, PACK, "7.00", 15, "500 ml"),
    item("Choucroute lactofermentée", PANTRY, PACK, "8.50", 15, "500 ml"),
    item("Herbes salées du Bas-du-Fleuve", PANTRY, PACK, "7.50", 15, "250 ml"),
    item("Pesto au basilic", PANTRY, PACK, "7.50", 15, "125 ml"),
    item("Soupe aux légumes d'automne", PANTRY, PACK, "9.00", 10, "1 L", text="Surgelée."),
    item("Cornichons à l'aneth", PANTRY, PACK, "7.50", 15, "500 ml"),
    item("Tisane de fleurs des champs", PANTRY, PACK, "7.00", 15, "30 g"),
    item("Ail noir", PANTRY, PACK, "8.00", 10, "50 g"),
    CONFITURE_FRAISES,
)

CATALOGUE: dict[str, tuple[ProductTemplate, ...]] = {
    "maraicher": MARAICHER,
    "fleurs": FLEURS,
    "serre": SERRE,
    "champignons": CHAMPIGNONS,
    "verger": VERGER,
    "petits_fruits": PETITS_FRUITS,
    "boreal": BOREAL,
    "erable": ERABLE,
    "oeufs": OEUFS,
    "volaille": VOLAILLE,
    "canard": CANARD,
    "boeuf": BOEUF,
    "porc": PORC,
    "bergerie": BERGERIE,
    "chevrerie": CHEVRERIE,
    "laitier": LAITIER,
    "boulangerie": BOULANGERIE,
    "cereales": CEREALES,
    "rucher": RUCHER,
    "epicerie": EPICERIE,
}


# --- Farms ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FarmSpec:
    name: str
    region: str
    town: str
    kinds: tuple[str, ...]  # keys of CATALOGUE, the first one being the main activity
    description: str
    practices: str
    certifications: tuple[str, ...] = ()
    language: str = "fr-ca"


R = Region

FARMS: tuple[FarmSpec, ...] = (
    FarmSpec(
        "Ferme des Trois Érables", R.LANAUDIERE, "Sainte-Élisabeth",
        ("maraicher", "oeufs", "erable"),
        "Ferme familiale fondée en 1987 au pied de trois érables centenaires : légumes de "
        "saison, œufs de nos poules et sirop de notre petite érablière.",
        "Culture biologique certifiée, rotation sur quatre ans, engrais verts et compost de la "
        "ferme. Poules en liberté au pâturage de mai à octobre.",
        (BIO, ASC),
    ),
    FarmSpec(
        "Bergerie du Rang 5", R.CENTRE_DU_QUEBEC, "Saint-Albert", ("bergerie",),
        "Troupeau de 300 brebis élevées au pâturage le long du rang 5 : agneau, fromages de "
        "brebis et laine cardée sur place.",
        "Pâturage tournant du printemps à l'automne, foin sec produit à la ferme, aucun "
        "antibiotique préventif.",
        (AQ,),
    ),
    FarmSpec(
        "Les Jardins de la Rivière-du-Nord", R.LAURENTIDES, "Saint-Jérôme",
        ("maraicher", "fleurs"),
        "Petite ferme maraîchère diversifiée sur les terres alluviales de la rivière du Nord : "
        "plus de quarante légumes et des fleurs coupées tout l'été.",
        "Culture sur planches permanentes sans labour, paillis de feuilles mortes, irrigation "
        "goutte à goutte.",
        (BIO, ECOCERT, ASC),
    ),
    FarmSpec(
        "Érablière du Versant Nord", R.CHAUDIERE_APPALACHES, "Beauceville", ("erable",),
        "Érablière de 6 000 entailles sur les coteaux de la Beauce, exploitée par la même "
        "famille depuis quatre générations.",
        "Entaillage raisonné, tubulure sous vide, évaporateur alimenté au bois récupéré ; "
        "chaque lot de sirop est classé et vérifié.",
        (AQ,),
    ),
    FarmSpec(
        "Verger de la Montagne Ronde", R.MONTEREGIE, "Rougemont", ("verger",),
        "Verger en pente sur le flanc du mont Rougemont : une quinzaine de variétés de pommes, "
        "des poires et des prunes, pressées aussi en jus.",
        "Production fruitière intégrée : pièges à phéromones, haies brise-vent et nichoirs "
        "pour les oiseaux insectivores.",
    ),
    FarmSpec(
        "Fromagerie du Rang Saint-Joseph", R.CENTRE_DU_QUEBEC, "Warwick", ("laitier",),
        "Fromagerie fermière qui transforme le lait de son troupeau de vaches Canadiennes : "
        "fromage en grains, cheddar vieilli et pâtes molles.",
        "Vaches nourries à l'herbe et au foin de la ferme, lait transformé le jour même de la "
        "traite.",
        (AQ,),
    ),
    FarmSpec(
        "Boulangerie La Mie du Village", R.ESTRIE, "Sutton", ("boulangerie",),
        "Boulangerie artisanale au cœur du village de Sutton : pains au levain cuits sur la "
        "sole et viennoiseries pur beurre.",
        "Farines biologiques du Québec moulues sur meule de pierre, levain naturel, longues "
        "fermentations.",
        (BIO,),
    ),
    FarmSpec(
        "Rucher des Quatre-Saisons", R.OUTAOUAIS, "Saint-André-Avellin", ("rucher",),
        "Apiculteurs de la Petite-Nation : 250 ruches réparties entre les champs de trèfle et "
        "les forêts de la région.",
        "Ruches sédentaires, traitements contre le varroa aux acides organiques seulement, miel "
        "extrait à froid.",
    ),
    FarmSpec(
        "Bleuetière des Grands-Brûlés", R.SAGUENAY, "Dolbeau-Mistassini", ("petits_fruits",),
        "Bleuetière familiale dans la capitale mondiale du bleuet, avec un verger de camerises "
        "et quelques rangs de fraisiers.",
        "Fauche des plants en alternance plutôt que brûlage, pollinisation par des bourdons "
        "indigènes.",
        (AQ,),
    ),
    FarmSpec(
        "Ferme Lessard et Fils", R.CHAUDIERE_APPALACHES, "Saint-Georges", ("boeuf", "porc"),
        "Élevage bovin et porcin de la Beauce : viandes découpées, fumées et transformées à la "
        "ferme.",
        "Bœufs au pâturage l'été, porcs élevés sur litière paillée, fumage au bois d'érable "
        "dans notre propre fumoir.",
        (AQ,),
    ),
    FarmSpec(
        "Chèvrerie des Collines", R.OUTAOUAIS, "Pontiac", ("chevrerie",),
        "Une soixantaine de chèvres Alpines dans les collines du Pontiac : fromages frais, "
        "yogourts et savons au lait de chèvre.",
        "Chèvres au parcours boisé, une seule traite par jour, fromages affinés dans notre "
        "cave.",
        language="en",
    ),
    FarmSpec(
        "Potager de l'Anse", R.GASPESIE, "Carleton-sur-Mer", ("maraicher", "epicerie"),
        "Jardin maraîcher les pieds dans la baie des Chaleurs : légumes rustiques, conserves et "
        "lactofermentations gaspésiennes.",
        "Serres froides pour allonger la saison, algues marines compostées comme amendement.",
        (ECOCERT,),
    ),
    FarmSpec(
        "Les Volailles du Coteau", R.LANAUDIERE, "Saint-Jacques", ("oeufs", "volaille"),
        "Poulets de grain et poules pondeuses élevés en petits lots sur le coteau de "
        "Saint-Jacques.",
        "Volailles en liberté avec accès au pâturage, moulée sans farines animales préparée au "
        "Québec.",
        (AQ,),
    ),
    FarmSpec(
        "Ferme Héritage Tremblay", R.SAGUENAY, "Hébertville", ("laitier", "boeuf"),
        "Ferme laitière fondée en 1902 au sud du lac Saint-Jean, qui élève aussi quelques bœufs "
        "Angus.",
        "Troupeau nourri aux fourrages de la ferme, bien-être animal suivi par un vétérinaire "
        "chaque mois.",
    ),
    FarmSpec(
        "Moulin des Cèdres", R.MAURICIE, "Louiseville", ("cereales",),
        "Ferme céréalière et meunerie du pays du sarrasin : farines sur meule de pierre, flocons "
        "d'avoine, légumineuses et huiles pressées à froid.",
        "Rotation blé, sarrasin, pois et trèfle ; grains biologiques triés et moulus sur place.",
        (BIO,),
    ),
    FarmSpec(
        "Ferme Bel-Horizon", R.CAPITALE_NATIONALE, "Sainte-Famille-de-l'Île-d'Orléans",
        ("petits_fruits", "maraicher"),
        "Fraises, framboises et légumes de l'île d'Orléans, cultivés face au fleuve depuis "
        "1965.",
        "Lutte intégrée, paillis de paille, récolte à maturité le matin même de la livraison.",
        (AQ, ASC),
    ),
    FarmSpec(
        "Domaine du Canard Blanc", R.ESTRIE, "Lac-Brome", ("canard",),
        "Élevage de canards de Pékin à Lac-Brome : magrets, confits, rillettes et bouillons "
        "préparés à la ferme.",
        "Canards élevés sur paille avec accès extérieur, sans gavage, nourris de grains du "
        "Québec.",
        (AQ,),
    ),
    FarmSpec(
        "Ferme des Prés Fleuris", R.MONTEREGIE, "Saint-Rémi", ("maraicher", "fleurs"),
        "Maraîchers des terres noires de Saint-Rémi : légumes de salade, carottes, oignons et "
        "fleurs coupées l'été.",
        "Cultures de couverture, dépistage hebdomadaire des ravageurs, bandes fleuries pour les "
        "pollinisateurs.",
    ),
    FarmSpec(
        "Les Serres du Rang Double", R.CENTRE_DU_QUEBEC, "Princeville", ("serre",),
        "Serres chauffées à la biomasse : tomates, concombres, fines herbes et micro-pousses "
        "douze mois par année.",
        "Lutte biologique par insectes auxiliaires, chauffage aux granules de bois, eau de "
        "pluie récupérée.",
    ),
    FarmSpec(
        "Ferme Vents du Fleuve", R.BAS_SAINT_LAURENT, "Kamouraska", ("boeuf", "epicerie"),
        "Bœuf Highland élevé près des battures du Kamouraska, et herbes salées du Bas-du-Fleuve "
        "préparées à la main.",
        "Bovins à l'herbe toute l'année, foin des prés salés, abattage dans un abattoir "
        "régional inspecté.",
    ),
    FarmSpec(
        "Champignonnière des Sous-Bois", R.LAURENTIDES, "Val-David", ("champignons",),
        "Pleurotes, shiitakes et crinières de lion cultivés sur des résidus de bois des "
        "Laurentides.",
        "Substrat de copeaux et de son locaux, composté ensuite chez des maraîchers voisins.",
        (BIO,),
    ),
    FarmSpec(
        "Érablière Sucre d'Or", R.ESTRIE, "Cookshire-Eaton", ("erable",),
        "Érablière biologique de 12 000 entailles dans le Haut-Saint-François : sirops, beurre "
        "et confiseries d'érable.",
        "Érablière certifiée biologique, évaporateur à haute efficacité, forêt aménagée pour "
        "la biodiversité.",
        (BIO, ECOCERT),
    ),
    FarmSpec(
        "Ferme des Tourbières", R.CENTRE_DU_QUEBEC, "Saint-Louis-de-Blandford",
        ("petits_fruits",),
        "Canneberges et petits fruits au cœur du pays de la canneberge, entre tourbières et "
        "forêts.",
        "Gestion de l'eau en circuit fermé entre les bassins, pollinisation par des ruches "
        "voisines.",
    ),
    FarmSpec(
        "Verger Pomme d'Api", R.LAURENTIDES, "Saint-Joseph-du-Lac", ("verger",),
        "Verger familial de Saint-Joseph-du-Lac : pommes à croquer, jus non filtré et compotes "
        "maison.",
        "Production fruitière intégrée, taille manuelle, pressage à froid des pommes "
        "déclassées.",
    ),
    FarmSpec(
        "Boulangerie du Vieux Four", R.CAPITALE_NATIONALE, "Baie-Saint-Paul", ("boulangerie",),
        "Boulangerie de Charlevoix qui cuit au bois dans un four en pierres des champs : miches, "
        "tourtières et tartes.",
        "Farines du Québec, levain entretenu depuis 1998, cuisson au bois de feuillus locaux.",
    ),
    FarmSpec(
        "Fromagerie de la Baie", R.CAPITALE_NATIONALE, "Les Éboulements", ("laitier",),
        "Fromagerie charlevoisienne : lait entier, beurre de baratte et fromages affinés sur "
        "planches d'épinette.",
        "Lait d'un troupeau de Jersey au pâturage, fromages affinés soixante jours et plus.",
    ),
    FarmSpec(
        "Ferme Nordique des Bouleaux", R.ABITIBI, "Palmarolle", ("boeuf", "maraicher"),
        "Bœuf et légumes de conservation d'Abitibi-Ouest, sur les terres argileuses de la "
        "ceinture d'argile.",
        "Saison courte : semis en serre, légumes rustiques et entreposage en caveau froid tout "
        "l'hiver.",
    ),
    FarmSpec(
        "Jardins urbains de Rosemont", R.MONTREAL, "Montréal", ("serre",),
        "Ferme sur les toits de Rosemont : micro-pousses, laitues et fines herbes récoltées le "
        "matin même.",
        "Culture en bacs sur les toits, compost de quartier, livraisons à vélo dans l'île.",
        (ASC,),
    ),
    FarmSpec(
        "Ferme du Ruisseau Perdu", R.MAURICIE, "Saint-Mathieu-du-Parc", ("maraicher", "oeufs"),
        "Petite ferme mixte en bordure du parc national de la Mauricie : légumes, œufs et "
        "paniers ASC depuis 2009.",
        "Traction légère ; un poulailler mobile suit les récoltes et fertilise les planches.",
        (BIO, ASC),
    ),
    FarmSpec(
        "Les Élevages du Petit-Brûlé", R.LANAUDIERE, "Sainte-Mélanie", ("porc", "volaille"),
        "Porcs Berkshire et poulets élevés en plein air sur une ancienne terre à bois de "
        "Lanaudière.",
        "Porcs en enclos boisés, poulets en cabanes mobiles, rations sans OGM produites au "
        "Québec.",
    ),
    FarmSpec(
        "Potager des Mille-Îles", R.LAVAL, "Laval", ("maraicher",),
        "Une des dernières fermes maraîchères de Laval, le long de la rivière des Mille Îles.",
        "Irrigation à partir de bassins de rétention, cultures de couverture l'hiver.",
    ),
    FarmSpec(
        "Verger des Pionniers", R.MONTEREGIE, "Saint-Paul-d'Abbotsford", ("verger", "epicerie"),
        "Verger au pied du mont Yamaska : fruits, jus, gelées et vinaigres faits à la ferme.",
        "Pommiers nains et semi-nains, éclaircissage manuel, transformation des fruits "
        "déclassés.",
    ),
    FarmSpec(
        "Ferme Fleur de Lin", R.BAS_SAINT_LAURENT, "Saint-Pacôme", ("cereales",),
        "Céréales, lin et légumineuses du Kamouraska, moulus et ensachés à la ferme.",
        "Grandes cultures biologiques en rotation longue, désherbage mécanique, séchage des "
        "grains à basse température.",
        (BIO,),
    ),
    FarmSpec(
        "Miellerie de la Baie-des-Chaleurs", R.GASPESIE, "New Richmond", ("rucher",),
        "Miel de fleurs sauvages et de framboisiers de la Gaspésie, et produits de la ruche "
        "faits à la main.",
        "Ruches hivernées à l'intérieur, aucun nourrissement au sirop de maïs, cire recyclée "
        "pour nos bougies.",
    ),
    FarmSpec(
        "Ferme Boréale de la Haute-Côte", R.COTE_NORD, "Les Bergeronnes",
        ("petits_fruits", "boreal"),
        "Petits fruits nordiques et trésors de la forêt boréale de la Haute-Côte-Nord : "
        "chicoutai, camerises, thé du Labrador.",
        "Cueillette sauvage encadrée pour préserver les talles, camerisiers cultivés sans "
        "pesticides.",
    ),
    FarmSpec(
        "Laiterie du Coteau-Vert", R.MONTEREGIE, "Saint-Damase", ("laitier",),
        "Laiterie fermière : lait embouteillé dans le verre, crème, yogourts et crème glacée.",
        "Lait pasteurisé à basse température et non homogénéisé, bouteilles consignées.",
        (AQ,),
    ),
    FarmSpec(
        "Ferme Le Bout du Banc", R.GASPESIE, "Les Îles-de-la-Madeleine", ("maraicher", "oeufs"),
        "Légumes et œufs des Îles-de-la-Madeleine, cultivés à l'abri des dunes.",
        "Haies brise-vent, algues et fumier de la ferme comme seuls amendements.",
        (ECOCERT,),
    ),
    FarmSpec(
        "Bergerie des Hautes-Terres", R.ESTRIE, "Stanstead", ("bergerie",),
        "Élevage ovin sur les hautes terres près de la frontière du Vermont : agneau, fromage "
        "et laine.",
        "Chiens de protection plutôt que clôtures électriques, agnelage au printemps.",
        language="en",
    ),
    FarmSpec(
        "Ferme Bio-Délices du Sud", R.MONTEREGIE, "Hemmingford", ("maraicher", "petits_fruits"),
        "Ferme biologique du sud de la Montérégie : légumes, fraises et framboises cultivés "
        "près de la frontière.",
        "Certification biologique, engrais verts, hôtels à insectes et bandes fleuries.",
        (BIO, ASC),
    ),
    FarmSpec(
        "Fournil de la Petite-Nation", R.OUTAOUAIS, "Ripon", ("boulangerie", "cereales"),
        "Paysans-boulangers qui cultivent leurs blés anciens et les cuisent au fournil de la "
        "ferme.",
        "Blés anciens cultivés en bio, moulus sur meule à la ferme, pains au levain cuits au "
        "bois.",
        (BIO,),
    ),
)

# Real towns of each region, for generated farms.
REGION_TOWNS: dict[str, tuple[str, ...]] = {
    R.BAS_SAINT_LAURENT: ("Rimouski", "Rivière-du-Loup", "Kamouraska", "Trois-Pistoles", "Amqui"),
    R.SAGUENAY: ("Saint-Félicien", "Alma", "Normandin", "Saint-Prime", "Hébertville"),
    R.CAPITALE_NATIONALE: ("Château-Richer", "Saint-Raymond", "Portneuf", "Baie-Saint-Paul"),
    R.MAURICIE: ("Shawinigan", "Louiseville", "Yamachiche", "Saint-Tite"),
    R.ESTRIE: ("Compton", "Coaticook", "Magog", "Dunham", "Sutton", "Lac-Mégantic"),
    R.MONTREAL: ("Montréal", "Sainte-Anne-de-Bellevue", "Senneville"),
    R.OUTAOUAIS: ("Wakefield", "Chelsea", "Shawville", "Montebello", "Val-des-Monts"),
    R.ABITIBI: ("Rouyn-Noranda", "Amos", "Ville-Marie", "La Sarre", "Val-d'Or"),
    R.COTE_NORD: ("Baie-Comeau", "Sept-Îles", "Tadoussac", "Forestville"),
    R.NORD_DU_QUEBEC: ("Chibougamau", "Matagami"),
    R.GASPESIE: ("Bonaventure", "Maria", "Gaspé", "Caplan"),
    R.CHAUDIERE_APPALACHES: ("Saint-Jean-Port-Joli", "Montmagny", "Sainte-Marie", "Lévis"),
    R.LAVAL: ("Laval",),
    R.LANAUDIERE: ("Joliette", "L'Assomption", "Rawdon", "Lanoraie", "Saint-Côme"),
    R.LAURENTIDES: ("Mirabel", "Oka", "Lachute", "Mont-Laurier", "Saint-Colomban"),
    R.MONTEREGIE: ("Saint-Hyacinthe", "Mont-Saint-Grégoire", "Sherrington", "Napierville"),
    R.CENTRE_DU_QUEBEC: ("Victoriaville", "Drummondville", "Nicolet", "Plessisville"),
}

AREA_CODES: dict[str, str] = {
    R.MONTREAL: "514",
    R.LAVAL: "450",
    R.MONTEREGIE: "450",
    R.LANAUDIERE: "450",
    R.LAURENTIDES: "450",
    R.ESTRIE: "819",
    R.MAURICIE: "819",
    R.CENTRE_DU_QUEBEC: "819",
    R.OUTAOUAIS: "819",
    R.ABITIBI: "819",
}  # every other region: 418


@dataclass(frozen=True, slots=True)
class FarmKind:
    """How to dress a generated farm: a name prefix, its catalogue and its texts."""

    prefix: str
    kinds: tuple[str, ...]
    description: str  # formatted with {of_town} (see of_town()) and {region}
    practices: str


def of_town(town: str) -> str:
    """« de Sutton », « d'Alma », « des Éboulements »."""
    if town.startswith("Les "):
        return f"des {town[4:]}"
    return f"d'{town}" if town[0] in "AEIOUYÉÈÎ" else f"de {town}"


EXTRA_FARM_KINDS: tuple[FarmKind, ...] = (
    FarmKind(
        "Les Jardins", ("maraicher", "fleurs"),
        "Ferme maraîchère {of_town} ({region}) : légumes de saison et fleurs coupées.",
        "Rotation des cultures, engrais verts et désherbage mécanique.",
    ),
    FarmKind(
        "Potager", ("maraicher", "epicerie"),
        "Potager familial {of_town} ({region}) : légumes, conserves et marinades maison.",
        "Aucun pesticide de synthèse, compost de la ferme, semences produites sur place.",
    ),
    FarmKind(
        "Ferme", ("maraicher", "oeufs", "epicerie"),
        "Ferme mixte {of_town} ({region}) : légumes, œufs et produits transformés.",
        "Poules en liberté, légumes en rotation, transformation des surplus à la ferme.",
    ),
    FarmKind(
        "Les Serres", ("serre",),
        "Serres {of_town} ({region}) : légumes de serre et micro-pousses toute l'année.",
        "Lutte biologique par insectes auxiliaires, chauffage à la biomasse.",
    ),
    FarmKind(
        "Verger", ("verger",),
        "Verger {of_town} ({region}) : pommes, poires et jus pressés à la ferme.",
        "Production fruitière intégrée et taille manuelle.",
    ),
    FarmKind(
        "Fraisière", ("petits_fruits",),
        "Petits fruits {of_town} ({region}) : fraises, framboises, bleuets et confitures.",
        "Paillis de paille, lutte intégrée, récolte à maturité.",
    ),
    FarmKind(
        "Érablière", ("erable",),
        "Érablière familiale {of_town} ({region}) : sirops et produits de l'érable.",
        "Entaillage raisonné et forêt aménagée pour la biodiversité.",
    ),
    FarmKind(
        "Sucrerie", ("erable", "boulangerie"),
        "Cabane à sucre {of_town} ({region}) : sirop, tire et pâtisseries à l'érable.",
        "Sirop bouilli au bois, pâtisseries faites sur place au printemps.",
    ),
    FarmKind(
        "Poulailler", ("oeufs", "volaille"),
        "Œufs et volailles {of_town} ({region}), élevés en petits lots.",
        "Volailles en liberté, moulée sans farines animales.",
    ),
    FarmKind(
        "Ranch", ("boeuf", "porc"),
        "Élevage {of_town} ({region}) : bœuf et porc découpés à la ferme.",
        "Animaux au pâturage l'été, sans hormones de croissance.",
    ),
    FarmKind(
        "Bergerie", ("bergerie",),
        "Bergerie {of_town} ({region}) : agneau, fromages de brebis et laine.",
        "Pâturage tournant et foin de la ferme.",
    ),
    FarmKind(
        "Chèvrerie", ("chevrerie",),
        "Chèvrerie {of_town} ({region}) : fromages et savons au lait de chèvre.",
        "Chèvres au parcours, fromages affinés à la ferme.",
    ),
    FarmKind(
        "Fromagerie", ("laitier",),
        "Fromagerie fermière {of_town} ({region}) : lait, beurre et fromages.",
        "Lait du troupeau de la ferme, transformé le jour de la traite.",
    ),
    FarmKind(
        "Fournil", ("boulangerie",),
        "Boulangerie artisanale {of_town} ({region}) : pains au levain et viennoiseries.",
        "Farines du Québec, levain naturel, cuisson au four à sole.",
    ),
    FarmKind(
        "Moulin", ("cereales",),
        "Meunerie {of_town} ({region}) : farines, flocons et légumineuses.",
        "Grains cultivés en rotation et moulus sur meule de pierre.",
    ),
    FarmKind(
        "Rucher", ("rucher",),
        "Rucher {of_town} ({region}) : miels de saison et produits de la ruche.",
        "Miel extrait à froid, traitements aux acides organiques seulement.",
    ),
    FarmKind(
        "Champignonnière", ("champignons",),
        "Champignonnière {of_town} ({region}) : pleurotes, shiitakes et champignons séchés.",
        "Substrat de résidus de bois locaux, composté après la récolte.",
    ),
)

NAME_COMPLEMENTS: tuple[str, ...] = (
    "du Ruisseau", "des Quatre-Vents", "de la Colline", "du Rang 3", "du Rang 7",
    "des Pins gris", "du Coteau", "de la Savane", "des Cèdres", "du Petit-Bois",
    "de la Butte", "du Vallon", "des Prés", "de la Source", "du Vieux Moulin",
    "de la Montée", "des Bouleaux", "du Lac Vert", "des Cerisiers", "du Haut-Bois",
    "de la Pointe", "des Trois Ruisseaux", "du Soleil levant", "de la Grande Côte",
    "des Épinettes", "du Rocher", "de l'Étang", "des Deux Rivières", "du Bout du Rang",
    "des Noisetiers", "de la Clairière", "des Hirondelles", "du Héron bleu",
)


# --- Pickup points ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SlotSpec:
    starts_at: time
    ends_at: time
    capacity: int


@dataclass(frozen=True, slots=True)
class PickupPointSpec:
    name: str
    slug: str
    address: str
    city: str
    instructions: str
    opens_at: time
    closes_at: time
    weight: int  # share of the orders picked up there
    slots: tuple[SlotSpec, ...] = field(default=())


PICKUP_POINTS: tuple[PickupPointSpec, ...] = (
    PickupPointSpec(
        "Local communautaire du Plateau", "plateau", "4375, rue Saint-Hubert", "Montréal",
        "Entrée par la ruelle, porte verte. Choisissez une plage horaire : nous limitons "
        "le nombre de commandes par heure.",
        time(16, 0), time(19, 0), 50,
        (
            SlotSpec(time(16, 0), time(17, 0), 20),
            SlotSpec(time(17, 0), time(18, 0), 20),
            SlotSpec(time(18, 0), time(19, 0), 15),
        ),
    ),
    PickupPointSpec(
        "Café-épicerie du Vieux-Longueuil", "vieux-longueuil", "230, rue Saint-Charles Ouest",
        "Longueuil",
        "Les commandes sont remises au comptoir du fond ; les produits frais attendent en "
        "chambre froide.",
        time(15, 0), time(18, 30), 25,
    ),
    PickupPointSpec(
        "Coopérative de Limoilou", "limoilou", "780, 3e Avenue", "Québec",
        "Stationnement gratuit dans la cour arrière pendant la cueillette. Apportez vos sacs.",
        time(14, 0), time(18, 0), 25,
    ),
)


# --- People -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoAccount:
    role: str
    email: str
    first_name: str
    last_name: str
    language: str
    phone: str


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("customer", "client@demo.coop", "Camille", "Tremblay", "fr-ca", "514 555-0142"),
    DemoAccount("farmer", "ferme@demo.coop", "Jean-François", "Gagnon", "fr-ca", "450 555-0117"),
    DemoAccount(
        "coordinator", "coordination@demo.coop", "Sophie", "Bélanger", "fr-ca", "514 555-0165"
    ),
    DemoAccount("admin", "admin@demo.coop", "Alex", "Morgan", "en", "514 555-0188"),
)
# fmt: on
