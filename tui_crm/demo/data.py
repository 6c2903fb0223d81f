"""The demo's pools of Spanish data: provinces and towns, names and surnames, streets,
company names, professions, products and services, timeline texts, users, tags and custom
fields. Plain tuples and dicts: the generator picks from them with its seeded random."""

from __future__ import annotations

# (INE code, province, weight ~ population, landline prefix, capital, other towns)
PROVINCES: tuple[tuple[int, str, int, str, str, tuple[str, ...]], ...] = (
    (1, "Araba/Álava", 3, "945", "Vitoria-Gasteiz", ("Llodio", "Amurrio")),
    (2, "Albacete", 4, "967", "Albacete", ("Hellín", "Villarrobledo", "Almansa")),
    (3, "Alicante", 19, "965", "Alicante", ("Elche", "Benidorm", "Alcoy", "Torrevieja", "Dénia")),
    (4, "Almería", 7, "950", "Almería", ("Roquetas de Mar", "El Ejido", "Níjar")),
    (5, "Ávila", 2, "920", "Ávila", ("Arévalo",)),
    (6, "Badajoz", 7, "924", "Badajoz", ("Mérida", "Don Benito", "Almendralejo", "Zafra")),
    (7, "Illes Balears", 12, "971", "Palma", ("Eivissa", "Manacor", "Maó", "Inca")),
    (
        8,
        "Barcelona",
        57,
        "93",
        "Barcelona",
        ("L'Hospitalet de Llobregat", "Badalona", "Terrassa", "Sabadell", "Mataró", "Vic"),
    ),
    (9, "Burgos", 4, "947", "Burgos", ("Miranda de Ebro", "Aranda de Duero")),
    (10, "Cáceres", 4, "927", "Cáceres", ("Plasencia", "Navalmoral de la Mata", "Trujillo")),
    (
        11,
        "Cádiz",
        12,
        "956",
        "Cádiz",
        ("Jerez de la Frontera", "Algeciras", "San Fernando", "Chiclana de la Frontera"),
    ),
    (12, "Castellón", 6, "964", "Castellón de la Plana", ("Vila-real", "Burriana", "Vinaròs")),
    (13, "Ciudad Real", 5, "926", "Ciudad Real", ("Puertollano", "Tomelloso", "Valdepeñas")),
    (14, "Córdoba", 8, "957", "Córdoba", ("Lucena", "Puente Genil", "Montilla")),
    (15, "A Coruña", 11, "981", "A Coruña", ("Santiago de Compostela", "Ferrol", "Carballo")),
    (16, "Cuenca", 2, "969", "Cuenca", ("Tarancón",)),
    (17, "Girona", 8, "972", "Girona", ("Figueres", "Blanes", "Lloret de Mar", "Olot")),
    (18, "Granada", 9, "958", "Granada", ("Motril", "Almuñécar", "Baza", "Loja")),
    (19, "Guadalajara", 3, "949", "Guadalajara", ("Azuqueca de Henares",)),
    (20, "Gipuzkoa", 7, "943", "Donostia-San Sebastián", ("Irun", "Errenteria", "Eibar")),
    (21, "Huelva", 5, "959", "Huelva", ("Lepe", "Almonte", "Moguer")),
    (22, "Huesca", 2, "974", "Huesca", ("Monzón", "Barbastro", "Jaca")),
    (23, "Jaén", 6, "953", "Jaén", ("Linares", "Andújar", "Úbeda", "Baeza")),
    (24, "León", 5, "987", "León", ("Ponferrada", "Astorga")),
    (25, "Lleida", 4, "973", "Lleida", ("Balaguer", "Tàrrega", "La Seu d'Urgell")),
    (26, "La Rioja", 3, "941", "Logroño", ("Calahorra", "Arnedo", "Haro")),
    (27, "Lugo", 3, "982", "Lugo", ("Monforte de Lemos", "Viveiro")),
    (
        28,
        "Madrid",
        68,
        "91",
        "Madrid",
        ("Móstoles", "Alcalá de Henares", "Fuenlabrada", "Leganés", "Getafe", "Alcobendas"),
    ),
    (29, "Málaga", 17, "952", "Málaga", ("Marbella", "Vélez-Málaga", "Fuengirola", "Antequera")),
    (30, "Murcia", 15, "968", "Murcia", ("Cartagena", "Lorca", "Molina de Segura", "Águilas")),
    (31, "Navarra", 7, "948", "Pamplona", ("Tudela", "Barañáin", "Estella-Lizarra")),
    (32, "Ourense", 3, "988", "Ourense", ("Verín", "O Barco de Valdeorras")),
    (33, "Asturias", 10, "985", "Oviedo", ("Gijón", "Avilés", "Siero", "Mieres")),
    (34, "Palencia", 2, "979", "Palencia", ("Aguilar de Campoo",)),
    (35, "Las Palmas", 11, "928", "Las Palmas de Gran Canaria", ("Telde", "Arrecife")),
    (36, "Pontevedra", 9, "986", "Pontevedra", ("Vigo", "Vilagarcía de Arousa", "Cangas")),
    (37, "Salamanca", 3, "923", "Salamanca", ("Béjar", "Ciudad Rodrigo")),
    (
        38,
        "Santa Cruz de Tenerife",
        10,
        "922",
        "Santa Cruz de Tenerife",
        ("San Cristóbal de La Laguna", "Arona", "Adeje", "Puerto de la Cruz"),
    ),
    (39, "Cantabria", 6, "942", "Santander", ("Torrelavega", "Castro-Urdiales", "Laredo")),
    (40, "Segovia", 2, "921", "Segovia", ("Cuéllar",)),
    (
        41,
        "Sevilla",
        19,
        "954",
        "Sevilla",
        ("Dos Hermanas", "Alcalá de Guadaíra", "Utrera", "Écija", "Carmona"),
    ),
    (42, "Soria", 1, "975", "Soria", ("Almazán",)),
    (43, "Tarragona", 8, "977", "Tarragona", ("Reus", "Tortosa", "Cambrils", "Salou")),
    (44, "Teruel", 1, "978", "Teruel", ("Alcañiz",)),
    (45, "Toledo", 7, "925", "Toledo", ("Talavera de la Reina", "Illescas", "Seseña")),
    (46, "Valencia", 26, "96", "València", ("Torrent", "Gandia", "Paterna", "Sagunt", "Xàtiva")),
    (47, "Valladolid", 5, "983", "Valladolid", ("Medina del Campo", "Laguna de Duero")),
    (48, "Bizkaia", 11, "94", "Bilbao", ("Barakaldo", "Getxo", "Portugalete", "Durango")),
    (49, "Zamora", 2, "980", "Zamora", ("Benavente", "Toro")),
    (50, "Zaragoza", 10, "976", "Zaragoza", ("Calatayud", "Utebo", "Ejea de los Caballeros")),
    (51, "Ceuta", 1, "956", "Ceuta", ()),
    (52, "Melilla", 1, "952", "Melilla", ()),
)

MALE_NAMES = (
    "José", "Antonio", "Manuel", "Francisco", "David", "Juan", "Javier", "Daniel", "Jesús",
    "Carlos", "Alejandro", "Miguel", "Rafael", "Pablo", "Sergio", "Ángel", "Fernando", "Jorge",
    "Luis", "Alberto", "Álvaro", "Adrián", "Raúl", "Rubén", "Iván", "Óscar", "Andrés", "Joaquín",
    "Ramón", "Víctor", "Héctor", "Tomás", "Nicolás", "Julián", "Martín", "Sebastián", "Íñigo",
    "Iñaki", "Jordi", "Xavier", "Germán", "Fermín", "Agustín", "Gonzalo", "Hugo", "Mario",
)  # fmt: skip
FEMALE_NAMES = (
    "María", "Carmen", "Ana", "Isabel", "Laura", "Cristina", "Marta", "Lucía", "Elena", "Sara",
    "Paula", "Raquel", "Rocío", "Pilar", "Beatriz", "Nuria", "Núria", "Silvia", "Patricia",
    "Sofía", "Inés", "Begoña", "Montserrat", "Concepción", "Mercedes", "Ángela", "Andrea",
    "Irene", "Alba", "Noelia", "Verónica", "Mónica", "Sonia", "Yolanda", "Lorena", "Marina",
    "Natalia", "Eva", "Rosa", "Teresa", "Aitana", "Ainhoa", "Iria", "Leire", "Adriana", "Julia",
)  # fmt: skip
SURNAMES = (
    "García", "Martínez", "López", "Sánchez", "Pérez", "Gómez", "Martín", "Jiménez", "Ruiz",
    "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez", "Romero", "Alonso", "Gutiérrez",
    "Navarro", "Torres", "Domínguez", "Vázquez", "Ramos", "Gil", "Ramírez", "Serrano", "Blanco",
    "Molina", "Morales", "Suárez", "Ortega", "Delgado", "Castro", "Ortiz", "Rubio", "Marín",
    "Sanz", "Núñez", "Iglesias", "Medina", "Garrido", "Cortés", "Castillo", "Santos", "Lozano",
    "Guerrero", "Cano", "Prieto", "Méndez", "Cruz", "Calvo", "Gallego", "Vidal", "León",
    "Márquez", "Herrera", "Peña", "Flores", "Cabrera", "Campos", "Vega", "Fuentes", "Carrasco",
    "Díez", "Caballero", "Reyes", "Nieto", "Aguilar", "Pascual", "Santana", "Herrero",
    "Lorenzo", "Montero", "Hidalgo", "Giménez", "Ibáñez", "Ferrer", "Durán", "Santiago",
    "Benítez", "Mora", "Vicente", "Vargas", "Arias", "Carmona", "Crespo", "Román", "Pastor",
    "Soto", "Sáez", "Velasco", "Moya", "Soler", "Parra", "Esteban", "Bravo", "Gallardo", "Rojas",
    "Pardo", "Merino", "Franco", "Espinosa", "Izquierdo", "Lara", "Rivas", "Silva", "Rivera",
    "Casado", "Arroyo", "Redondo", "Camacho", "Rey", "Vera", "Otero", "Luque", "Galán", "Montes",
    "Ríos", "Sierra", "Segura", "Carrillo", "Marcos", "Soriano", "Mendoza", "Robles", "Bermúdez",
    "Echeverría", "Goñi", "Zubizarreta", "Quiñones", "Peñalver", "Zúñiga", "Ordóñez", "Muñiz",
    "Treviño", "Cañete", "Carreño", "Muñoz", "Peña", "Ibáñez", "Núñez", "Agüero", "Begué",
)  # fmt: skip

STREETS = (
    "Calle Mayor", "Calle Real", "Avenida de la Constitución", "Plaza de España", "Gran Vía",
    "Calle de Alcalá", "Calle San Vicente", "Calle del Carmen", "Paseo de Colón",
    "Calle Cervantes", "Avenida Doctor Fleming", "Calle de la Paz", "Calle Santa María",
    "Avenida de los Reyes Católicos", "Calle del Sol", "Calle Nueva", "Calle de Goya",
    "Calle Núñez de Balboa", "Avenida Ramón y Cajal", "Calle Federico García Lorca",
    "Avenida Blasco Ibáñez", "Avenida de Andalucía", "Calle Castilla", "Paseo de Aragón",
    "Paseo del Mar", "Calle de la Estación", "Calle San Francisco", "Avenida Jaume I",
    "Calle Pi i Margall", "Ronda de Segovia", "Travesía del Pilar", "Calle Doctor Marañón",
    "Avenida de la Libertad", "Calle Marqués de Larios", "Calle Jesús del Gran Poder",
    "Avenida de Portugal", "Calle Río Ebro", "Calle Antonio Machado", "Calle Miguel Hernández",
    "Avenida de Europa", "Calle de la Iglesia", "Plaza del Ayuntamiento", "Calle Nuestra Señora",
    "Camino de Ronda", "Calle Peñalara", "Avenida de la Albufera", "Calle Túria", "Calle Uría",
    "Calle Ercilla", "Avenida Diagonal", "Carrer de Balmes", "Rúa do Vilar", "Calle Príncipe",
    "Calle Ancha", "Calle Zurbano", "Calle Bravo Murillo", "Avenida de Cádiz", "Calle Larga",
)  # fmt: skip
INDUSTRIAL_ESTATES = (
    "Polígono Industrial Los Olivos", "Polígono Industrial El Campillo", "Polígono San Cristóbal",
    "Polígono Industrial La Estación", "Parque Empresarial Las Mercedes", "Polígono Cobo Calleja",
    "Polígono Industrial Santa Ana", "Parque Tecnológico", "Polígono Industrial Fuente del Jarro",
    "Polígono La Cartuja", "Polígono Industrial Júndiz", "Polígono Industrial Mercazaragoza",
)  # fmt: skip
REGIONS = (
    "del Levante", "del Cantábrico", "Mediterránea", "del Norte", "del Sur", "Ibérica",
    "Atlántica", "de Castilla", "Andaluza", "del Ebro", "Canaria", "Balear", "Gallega",
    "del Duero", "Extremeña", "Manchega", "del Guadalquivir", "Peninsular", "Astur",
)  # fmt: skip
FANTASY_HEADS = (
    "Iber", "Nova", "Tecno", "Hispa", "Euro", "Medi", "Sol", "Alba", "Acua", "Geo", "Info",
    "Neo", "Termo", "Agro", "Bio", "Inno", "Verti", "Ecó", "Ártica", "Ñandú", "Lúmina",
)  # fmt: skip
FANTASY_TAILS = (
    "tec", "logic", "sys", "net", "lux", "gest", "mar", "sur", "plan", "data", "line", "form",
    "med", "via", "land", "soft", "cén", "nova",
)  # fmt: skip

# (word in the name, tag, IVA % the business mostly buys at, is a reseller of goods)
SECTORS: tuple[tuple[str, str, int], ...] = (
    ("Construcciones", "Construcción", 21),
    ("Reformas", "Construcción", 10),
    ("Promociones Inmobiliarias", "Construcción", 21),
    ("Instalaciones Eléctricas", "Construcción", 21),
    ("Fontanería", "Construcción", 21),
    ("Carpintería", "Construcción", 21),
    ("Transportes", "Logística", 21),
    ("Logística", "Logística", 21),
    ("Distribuciones", "Distribución", 21),
    ("Suministros Industriales", "Industria", 21),
    ("Talleres", "Industria", 21),
    ("Cerámicas", "Industria", 21),
    ("Maderas", "Industria", 21),
    ("Muebles", "Comercio", 21),
    ("Textil", "Comercio", 21),
    ("Calzados", "Comercio", 21),
    ("Asesoría", "Servicios profesionales", 21),
    ("Consultoría", "Servicios profesionales", 21),
    ("Gestoría", "Servicios profesionales", 21),
    ("Ingeniería", "Tecnología", 21),
    ("Informática", "Tecnología", 21),
    ("Sistemas", "Tecnología", 21),
    ("Soluciones Digitales", "Tecnología", 21),
    ("Restaurante", "Hostelería", 10),
    ("Hostelería", "Hostelería", 10),
    ("Hoteles", "Hostelería", 10),
    ("Catering", "Hostelería", 10),
    ("Panificadora", "Alimentación", 4),
    ("Frutas y Verduras", "Alimentación", 4),
    ("Bodegas", "Alimentación", 21),
    ("Aceites", "Alimentación", 10),
    ("Conservas", "Alimentación", 10),
    ("Clínica Dental", "Sanidad", 21),
    ("Laboratorios", "Sanidad", 21),
    ("Academia", "Educación", 0),
    ("Centro de Formación", "Educación", 0),
    ("Autoescuela", "Educación", 21),
    ("Imprenta", "Servicios", 21),
    ("Limpiezas", "Servicios", 21),
    ("Jardinería", "Servicios", 21),
    ("Seguridad", "Servicios", 21),
    ("Climatización", "Construcción", 21),
    ("Energía Solar", "Energía", 21),
    ("Viajes", "Turismo", 21),
    ("Agrícola", "Agricultura", 10),
)
# legal form suffix, CIF letter, weight
LEGAL_FORMS = (("S.L.", "B", 64), ("S.L.U.", "B", 8), ("S.A.", "A", 16), ("S.Coop.", "F", 6))
OTHER_ENTITIES = (("Asociación", "G"), ("Comunidad de Propietarios", "H"))
EXEMPT_REASON = "Exenta de IVA (art. 20.Uno.9º Ley 37/1992): enseñanza y formación"

# Freelancers: (male title, female title, trade name head, IVA %, kind)
# kind "pro" withholds IRPF, "shop" is a retailer under recargo de equivalencia, "trade" neither.
PROFESSIONS = (
    ("Abogado", "Abogada", "Despacho", 21, "pro"),
    ("Arquitecto", "Arquitecta", "Estudio de Arquitectura", 21, "pro"),
    ("Asesor fiscal", "Asesora fiscal", "Asesoría", 21, "pro"),
    ("Psicólogo", "Psicóloga", "Consulta", 21, "pro"),
    ("Diseñador gráfico", "Diseñadora gráfica", "Estudio", 21, "pro"),
    ("Traductor", "Traductora", "Traducciones", 21, "pro"),
    ("Consultor", "Consultora", "Consultoría", 21, "pro"),
    ("Ingeniero", "Ingeniera", "Ingeniería", 21, "pro"),
    ("Fotógrafo", "Fotógrafa", "Fotografía", 21, "pro"),
    ("Periodista", "Periodista", "Comunicación", 21, "pro"),
    ("Programador", "Programadora", "Desarrollo Web", 21, "pro"),
    ("Ferretero", "Ferretera", "Ferretería", 21, "shop"),
    ("Frutero", "Frutera", "Frutería", 4, "shop"),
    ("Panadero", "Panadera", "Panadería", 4, "shop"),
    ("Librero", "Librera", "Librería", 4, "shop"),
    ("Comerciante", "Comerciante", "Moda", 21, "shop"),
    ("Florista", "Florista", "Floristería", 10, "shop"),
    ("Papelero", "Papelera", "Papelería", 21, "shop"),
    ("Zapatero", "Zapatera", "Zapatería", 21, "shop"),
    ("Fontanero", "Fontanera", "Fontanería", 21, "trade"),
    ("Electricista", "Electricista", "Electricidad", 21, "trade"),
    ("Pintor", "Pintora", "Pinturas", 10, "trade"),
    ("Peluquero", "Peluquera", "Peluquería", 21, "trade"),
    ("Mecánico", "Mecánica", "Taller", 21, "trade"),
    ("Hostelero", "Hostelera", "Bar", 10, "trade"),
)

# (his title, her title)
POSITIONS = (
    ("Gerente", "Gerente"), ("Director financiero", "Directora financiera"),
    ("Responsable de compras", "Responsable de compras"), ("Administración", "Administración"),
    ("Jefe de obra", "Jefa de obra"), ("Director de marketing", "Directora de marketing"),
    ("Responsable de IT", "Responsable de IT"), ("Director comercial", "Directora comercial"),
    ("Director general", "Directora general"), ("Recepción", "Recepción"),
    ("Responsable de calidad", "Responsable de calidad"), ("Contabilidad", "Contabilidad"),
    ("Jefe de almacén", "Jefa de almacén"), ("Socio", "Socia"),
)  # fmt: skip
BILLING_POSITIONS = (
    ("Administración", "Administración"),
    ("Contabilidad", "Contabilidad"),
    ("Director financiero", "Directora financiera"),
)
FREE_MAIL = ("gmail.com", "hotmail.com", "yahoo.es", "outlook.es", "telefonica.net", "icloud.com")
CLIENT_NOTES = (
    "Prefiere que le llamen por la mañana.",
    "Envía los pedidos siempre por correo electrónico.",
    "Cierra en agosto por vacaciones.",
    "Pide factura con número de pedido.",
    "Cliente recomendado por otro cliente.",
    "Pagan por remesa los días 10 y 25.",
    "Solicitar siempre el albarán firmado.",
    "Horario de descarga: de 8:00 a 14:00.",
)

# (login, full name, role)
DEMO_USERS = (
    ("admin", "Administración", "admin"),
    ("lucia.fernandez", "Lucía Fernández Ortega", "sales"),
    ("javier.moreno", "Javier Moreno Gil", "sales"),
    ("marta.ibanez", "Marta Ibáñez Ruiz", "sales"),
    ("sergio.pena", "Sergio Peña Castro", "sales"),
    ("carmen.nunez", "Carmen Núñez Vidal", "accounting"),
    ("pablo.serrano", "Pablo Serrano Díaz", "accounting"),
    ("ines.munoz", "Inés Muñoz Llorente", "readonly"),
)

TAGS = (
    ("VIP", "gold"),
    ("Hostelería", "orange"),
    ("Construcción", "brown"),
    ("Tecnología", "blue"),
    ("Comercio", "green"),
    ("Alimentación", "lime"),
    ("Servicios profesionales", "purple"),
    ("Exportación", "cyan"),
    ("Administración pública", "grey"),
    ("Distribuidor", "teal"),
)

CUSTOM_FIELDS = (
    # key, label, kind, choices
    (
        "sector",
        "Sector",
        "choice",
        [
            "Hostelería",
            "Construcción",
            "Tecnología",
            "Comercio",
            "Industria",
            "Alimentación",
            "Servicios profesionales",
            "Sanidad",
            "Educación",
            "Logística",
            "Otros",
        ],
    ),
    ("empleados", "Nº de empleados", "number", []),
    ("origen", "Cómo nos conoció", "choice", ["Web", "Recomendación", "Feria", "LinkedIn"]),
)

COMMENT_TEMPLATES = (
    ("Llamada de seguimiento", "call", "Llamada de seguimiento", "Revisado el estado del pedido."),
    ("Reclamación de pago", "call", "Reclamación de factura vencida", "Se le recuerda el pago."),
    ("Envío de presupuesto", "email", "Envío de presupuesto", "Adjunto el presupuesto."),
    ("Reunión de arranque", "meeting", "Reunión de arranque", "Objetivos, plazos y equipo."),
    ("Visita comercial", "meeting", "Visita comercial", "Presentación de novedades."),
    ("Nota interna", "note", "Nota", ""),
    ("Preparar oferta", "task", "Preparar oferta", "Revisar precios y plazos de entrega."),
    ("Felicitación navideña", "email", "¡Felices fiestas!", "Gracias por confiar en nosotros."),
)

ACTIVITY_SUBJECTS = {
    "call": (
        "Llamada de seguimiento",
        "Llamada para revisar el presupuesto",
        "Consulta sobre una factura",
        "Reclamación de factura vencida",
        "Confirmar fecha de entrega",
        "Llamada de presentación",
    ),
    "meeting": (
        "Reunión de arranque del proyecto",
        "Visita a las instalaciones",
        "Revisión trimestral",
        "Presentación de la propuesta",
        "Reunión con dirección",
    ),
    "email": (
        "Envío de presupuesto",
        "Envío de catálogo actualizado",
        "Respuesta a la consulta",
        "Confirmación del pedido",
        "Recordatorio de pago",
    ),
    "note": (
        "Cambio de persona de contacto",
        "Interesados en ampliar el servicio",
        "Quejas por el retraso de la entrega",
        "Actualizar datos bancarios",
        "Nota de la visita",
    ),
    "task": (
        "Preparar oferta",
        "Enviar contrato firmado",
        "Revisar condiciones de pago",
        "Llamar para renovar el mantenimiento",
        "Pedir certificado de retenciones",
        "Actualizar la ficha del cliente",
    ),
}
ACTIVITY_BODIES = (
    "Comentan que el servicio va bien y que quieren ampliar el contrato el próximo trimestre.",
    "Hablamos con administración: el pago está programado para la próxima remesa.",
    "Piden revisar el precio por volumen y plazos de entrega más cortos.",
    "Quedamos en enviar la documentación técnica antes del viernes.",
    "Sin novedades; volver a contactar en dos semanas.",
    "",
    "",
)
CALL_OUTCOMES = (
    "Interesado, enviar propuesta",
    "No contesta",
    "Pide que le llamemos la semana que viene",
    "Confirmado",
    "Pago comprometido",
    "",
)

PROJECT_NAMES = (
    "Reforma de oficinas",
    "Implantación de ERP",
    "Web corporativa",
    "Mantenimiento anual",
    "Campaña de verano",
    "Auditoría energética",
    "Ampliación de nave",
    "Migración a la nube",
    "Plan de formación",
    "Renovación de equipos",
    "Apertura de nueva tienda",
    "Instalación fotovoltaica",
)
OPPORTUNITY_TITLES = (
    "Contrato de mantenimiento",
    "Suministro anual",
    "Renovación de licencias",
    "Proyecto de reforma",
    "Ampliación del servicio",
    "Pedido de temporada",
    "Consultoría estratégica",
    "Equipamiento de oficina",
)
LOST_REASONS = (
    "Precio demasiado alto",
    "Eligió a la competencia",
    "Proyecto cancelado",
    "Sin presupuesto este año",
    "No hubo respuesta",
    "Plazo de entrega demasiado largo",
)
QUOTE_REJECTED_REASONS = (
    "Precio fuera de presupuesto",
    "Han elegido otro proveedor",
    "Aplazan la inversión",
    "Plazo de entrega",
)
RECTIFICATION_REASONS = (
    "Devolución de mercancía defectuosa",
    "Error en el precio facturado",
    "Descuento por volumen no aplicado",
    "Servicio no prestado en su totalidad",
)

# The catalog: (code, name, unit, price cents, IVA bp, cost cents, is_service, quantity kind)
# quantity kinds: h hours in halves, u units 1-12, b boxes/bulk 1-200, k kilos with decimals,
# m square metres with decimals, o one.
PRODUCTS = (
    ("SRV-001", "Consultoría técnica", "h", 6500, 2100, 2800, 1, "h"),
    ("SRV-002", "Desarrollo de software a medida", "h", 5500, 2100, 2500, 1, "h"),
    ("SRV-003", "Mantenimiento informático mensual", "mes", 18000, 2100, 6000, 1, "o"),
    ("SRV-004", "Diseño gráfico", "h", 4500, 2100, 1500, 1, "h"),
    ("SRV-005", "Formación in company", "jornada", 60000, 2100, 25000, 1, "u"),
    ("SRV-006", "Auditoría energética", "ud", 145000, 2100, 70000, 1, "o"),
    ("SRV-007", "Asesoría fiscal trimestral", "trimestre", 24000, 2100, 9000, 1, "o"),
    ("SRV-008", "Gestión de nóminas", "empleado", 1800, 2100, 600, 1, "b"),
    ("SRV-009", "Alojamiento web anual", "año", 12000, 2100, 3000, 1, "o"),
    ("SRV-010", "Licencia de software anual", "ud", 39900, 2100, 15000, 1, "u"),
    ("SRV-011", "Soporte técnico in situ", "h", 4000, 2100, 1800, 1, "h"),
    ("SRV-012", "Transporte y entrega", "servicio", 3500, 2100, 2000, 1, "u"),
    ("SRV-013", "Instalación eléctrica", "h", 3800, 2100, 1700, 1, "h"),
    ("SRV-014", "Limpieza de oficinas", "mes", 32000, 2100, 21000, 1, "o"),
    ("SRV-015", "Traducción jurada", "página", 3200, 2100, 1200, 1, "b"),
    ("SRV-016", "Reforma de vivienda (mano de obra)", "h", 3000, 1000, 1700, 1, "h"),
    ("SRV-017", "Servicio de catering", "persona", 2800, 1000, 1500, 1, "b"),
    ("SRV-018", "Menú del día para empresas", "menú", 1350, 1000, 700, 1, "b"),
    ("SRV-019", "Transporte de viajeros", "plaza", 2200, 1000, 1200, 1, "b"),
    ("SRV-020", "Curso de formación reglada", "alumno", 45000, 0, 20000, 1, "u"),
    ("SRV-021", "Clases de apoyo", "h", 2500, 0, 1000, 1, "h"),
    ("PRD-001", 'Ordenador portátil 15,6"', "ud", 74900, 2100, 58000, 0, "u"),
    ("PRD-002", 'Monitor 27" QHD', "ud", 28900, 2100, 21000, 0, "u"),
    ("PRD-003", "Cable HDMI 2 m", "ud", 895, 2100, 310, 0, "b"),
    ("PRD-004", "Tóner para impresora láser", "ud", 6990, 2100, 4100, 0, "u"),
    ("PRD-005", "Papel A4 80 g (caja de 5 paquetes)", "caja", 2450, 2100, 1600, 0, "b"),
    ("PRD-006", "Silla ergonómica de oficina", "ud", 18900, 2100, 11000, 0, "u"),
    ("PRD-007", "Azulejo porcelánico 60×60", "m²", 2475, 2100, 1450, 0, "m"),
    ("PRD-008", "Saco de cemento 25 kg", "saco", 715, 2100, 480, 0, "b"),
    ("PRD-009", "Tornillería surtida", "kg", 1290, 2100, 640, 0, "k"),
    ("PRD-010", "Pintura plástica blanca 15 L", "ud", 5490, 2100, 3200, 0, "u"),
    ("PRD-011", "Panel solar 450 W", "ud", 18500, 2100, 12500, 0, "u"),
    ("PRD-012", "Aire acondicionado split 3.000 frig.", "ud", 69900, 2100, 48000, 0, "u"),
    ("PRD-013", "Cartucho de tinta", "ud", 2390, 2100, 1300, 0, "u"),
    ("PRD-014", "Vino tinto crianza (caja 6 botellas)", "caja", 4800, 2100, 2900, 0, "b"),
    ("PRD-015", "Camiseta de algodón", "ud", 850, 2100, 390, 0, "b"),
    ("PRD-016", "Zapato de seguridad", "par", 4590, 2100, 2700, 0, "u"),
    ("PRD-017", "Madera de pino tratada", "m²", 3150, 2100, 1900, 0, "m"),
    ("PRD-018", "Aceite de oliva virgen extra 5 L", "garrafa", 3495, 1000, 2600, 0, "b"),
    ("PRD-019", "Café en grano 1 kg", "kg", 1890, 1000, 1100, 0, "k"),
    ("PRD-020", "Conservas de atún (lote)", "lote", 1275, 1000, 800, 0, "b"),
    ("PRD-021", "Agua mineral (pack 24 botellas)", "pack", 690, 1000, 380, 0, "b"),
    ("PRD-022", "Planta de interior", "ud", 1550, 1000, 700, 0, "u"),
    ("PRD-023", "Jamón serrano loncheado", "kg", 2290, 1000, 1500, 0, "k"),
    ("PRD-024", "Pan de barra", "ud", 95, 400, 40, 0, "b"),
    ("PRD-025", "Harina de trigo (saco 25 kg)", "saco", 1890, 400, 1300, 0, "b"),
    ("PRD-026", "Leche entera (caja 6 L)", "caja", 645, 400, 450, 0, "b"),
    ("PRD-027", "Huevos frescos", "docena", 265, 400, 180, 0, "b"),
    ("PRD-028", "Fruta de temporada", "kg", 245, 400, 140, 0, "k"),
    ("PRD-029", "Libro técnico", "ud", 3500, 400, 2300, 0, "u"),
    ("PRD-030", "Verdura fresca", "kg", 210, 400, 120, 0, "k"),
)

RECARGO_FOR_VAT_BP = {2100: 520, 1000: 140, 400: 50, 0: 0}

PAYMENT_METHODS_W = (
    ("transfer", 62),
    ("direct_debit", 22),
    ("card", 8),
    ("cheque", 3),
    ("cash", 5),
)
METHOD_TEXT = {
    "transfer": "Transferencia bancaria",
    "direct_debit": "Domiciliación bancaria",
    "card": "Tarjeta",
    "cheque": "Cheque",
    "cash": "Efectivo",
}
BANKS = ("2100", "0049", "0182", "0081", "2038", "0128", "3058", "2080", "0075", "1465")
